using System.Globalization;
using System.Text.RegularExpressions;
using Portal.Core.Jobs;

namespace Portal.Web.Services.JobForms;

/// <summary>What went wrong with a job that ended badly, in plain words, and what to do about it.</summary>
/// <param name="Kind">Which known reason it is (for tests and styling).</param>
/// <param name="Summary">One short sentence: what happened (also the job list's short reason).</param>
/// <param name="Hint">What to do next.</param>
/// <param name="Raw">The recorded detail as the launcher, podman or the kernel gave it; null when there is none.</param>
/// <param name="LinkHref">A page that helps (the Images page for a missing image), or null.</param>
/// <param name="LinkText">The link's words.</param>
public sealed record JobFailureHint(
    JobFailureKind Kind, string Summary, string Hint, string? Raw, string? LinkHref = null, string? LinkText = null);

/// <summary>The known ways a job ends badly.</summary>
public enum JobFailureKind
{
    ImageMissing,
    OutOfMemory,
    WalltimeReached,
    NotInJobGroup,
    NoSubordinateIds,
    LauncherRefused,
    NonZeroExit,
    Lost,
    Other,
}

/// <summary>
/// Maps a failed, timed-out or lost job's recorded reason (the last detail of its history) to a hint. Pure: the same
/// text always gives the same hint, so the job page and the job list agree and it is tested without a host.
/// </summary>
public static partial class JobFailureHints
{
    /// <summary>The hint for a job in <paramref name="state"/>, or null when the state is not a failure.</summary>
    /// <param name="state">The job's state.</param>
    /// <param name="exitCode">Its command's exit code, when it ran.</param>
    /// <param name="detail">The detail recorded with the final state.</param>
    /// <param name="owner">The Linux account the job ran as (named in hints for the administrator).</param>
    public static JobFailureHint? Explain(JobState state, int? exitCode, string? detail, string owner)
    {
        var raw = string.IsNullOrWhiteSpace(detail) ? null : detail.Trim();
        return state switch
        {
            JobState.TimedOut => new(JobFailureKind.WalltimeReached, "The job ran out of walltime and was stopped.",
                "Ask for a longer walltime when you launch it again, or make it save its progress and resume.", raw),
            JobState.Lost => new(JobFailureKind.Lost, "The portal lost track of the job's container.",
                "It vanished while the portal was not watching (e.g. the host restarted). Its output up to then is below; launch it again.", raw),
            JobState.Failed => Failed(exitCode, raw, owner),
            _ => null,
        };
    }

    private static JobFailureHint Failed(int? exitCode, string? raw, string owner)
    {
        var text = raw ?? "";
        if (text.StartsWith("out of memory", StringComparison.OrdinalIgnoreCase))
        {
            return new(JobFailureKind.OutOfMemory, $"The job ran out of memory ({text}).",
                "The kernel ended it at its memory limit: ask for more memory when you launch it again, or make it use less.", raw);
        }

        if (Contains(text, "image not known") || Contains(text, "no such image") || Contains(text, "manifest unknown")
            || Contains(text, "repository does not exist") || Contains(text, "unable to find image"))
        {
            return new(JobFailureKind.ImageMissing, "The image is not in your account's image storage.",
                $"Jobs run as '{owner}' and use only the images stored for that account. Pick one of them (the launch form's image field lists them), or pull or build the image as '{owner}' first (podman pull, podman build).",
                raw, "/jobs/new", "Launch with one of your images");
        }

        if (GroupPattern().Match(text) is { Success: true } group)
        {
            return new(JobFailureKind.NotInJobGroup, $"The account '{owner}' is not in the job group '{group.Groups[1].Value}'.",
                $"Ask the administrator to add '{owner}' to the group '{group.Groups[1].Value}' (only members may run jobs), then launch it again.", raw);
        }

        if (Contains(text, "subuid") || Contains(text, "subgid") || Contains(text, "subordinate") || Contains(text, "newuidmap"))
        {
            return new(JobFailureKind.NoSubordinateIds, $"The account '{owner}' has no usable subordinate ids.",
                $"Rootless containers need ranges for '{owner}' in /etc/subuid and /etc/subgid: ask the administrator to add them, then launch it again.", raw);
        }

        if (exitCode is { } code)
        {
            return new(JobFailureKind.NonZeroExit, $"The command exited with code {code.ToString(CultureInfo.InvariantCulture)}.",
                "See the log below for what it printed before it ended.", raw);
        }

        if (text.Length > 0)
        {
            return new(JobFailureKind.LauncherRefused, "The container could not be started.",
                "The launcher or podman refused the request; the detail below says why. If it names the host's setup, ask the administrator.", raw);
        }

        return new(JobFailureKind.Other, "The job failed.", "See the log and the history below.", raw);
    }

    private static bool Contains(string text, string part) => text.Contains(part, StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex("not a member of the group '([^']+)'", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 200)]
    private static partial Regex GroupPattern();
}
