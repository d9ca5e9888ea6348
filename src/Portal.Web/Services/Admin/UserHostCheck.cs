using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Configuration;
using Portal.Web.Services.Accounts;

namespace Portal.Web.Services.Admin;

/// <summary>One step of a user's host check: what was tried, whether it worked, and what to do when it did not.</summary>
public sealed record UserCheckStep(string Name, bool Ok, string Detail, string? Fix = null);

/// <summary>
/// Tries, as one real account, everything a job of theirs needs, in the order a job needs it: the account itself,
/// the launcher acting as it (job group, privileged groups, home), its subordinate ids and storage, its image store,
/// and a throwaway container that starts and exits. Each failed step says exactly what to fix, so the first job
/// does not have to find out.
/// </summary>
public sealed partial class UserHostCheck(ILauncher launcher, LinuxAccountValidator accounts, IOptions<PortalOptions> options)
{
    /// <summary>Podman builds its pods' infra image under this name; its entrypoint (catatonit -P) waits forever
    /// whatever command it is given, so it can never show a container that starts and exits.</summary>
    private const string PodmanPauseImage = "localhost/podman-pause:";

    /// <summary>How long the throwaway container may take to start and exit.</summary>
    private static readonly TimeSpan ContainerDeadline = TimeSpan.FromSeconds(60);

    public async Task<IReadOnlyList<UserCheckStep>> RunAsync(string user, CancellationToken cancellationToken)
    {
        List<UserCheckStep> steps = [];
        LinuxAccountCheck account = await accounts.CheckAsync(user, cancellationToken);
        if (account.Account is null)
        {
            steps.Add(new("account", false, account.Error ?? "The account cannot run jobs.", account.Error));
            return steps;
        }

        steps.Add(new("account", true, $"{user}: uid {account.Account.Uid}, home {account.Account.Home}."));
        IReadOnlyList<CheckItem> items;
        try
        {
            items = await launcher.CheckAsync(user, cancellationToken);
        }
        catch (LauncherException e)
        {
            steps.Add(new("launcher acts as the account", false, e.Message, FixFor(e.Message, user)));
            return steps;
        }

        steps.Add(new("launcher acts as the account", true, "The launcher accepts the account and drops to it for good."));
        foreach (CheckItem item in items.Where(i => i.Name is "subids" or "storage" or "podman" or "rootless"))
        {
            steps.Add(new(item.Name, item.Status != "fail", item.Detail, item.Status == "fail" ? FixFor(item.Detail, user) : null));
        }

        if (steps.Any(s => !s.Ok))
        {
            return steps;
        }

        IReadOnlyList<ImageInfo> images;
        try
        {
            images = await launcher.ImagesAsync(user, cancellationToken);
        }
        catch (LauncherException e)
        {
            steps.Add(new("image store", false, e.Message, "See the storage and podman steps above; podman must be able to read the account's storage."));
            return steps;
        }

        List<string> names = [.. images.SelectMany(i => i.Names)
            .Where(n => !n.Contains("<none>", StringComparison.Ordinal) && !n.StartsWith(PodmanPauseImage, StringComparison.Ordinal))];
        // The quick start's sample image where the account has it: it is known to have 'true'.
        string? image = names.FirstOrDefault(n => n == options.Value.SampleImage) ?? names.FirstOrDefault();
        if (image is null)
        {
            steps.Add(new("image store", false, $"{user}'s own image store holds no image, so no job of theirs can start.",
                $"Put an image in it as {user} (podman build, podman pull, or podman import of a root file system; deploy/dev/run.sh builds localhost/portal-sample:latest from busybox-static)."));
            return steps;
        }

        steps.Add(new("image store", true, $"{images.Count.ToString(CultureInfo.InvariantCulture)} image(s), among them {image}."));
        steps.Add(await ThrowawayContainerAsync(user, image, cancellationToken));
        return steps;
    }

    /// <summary>A fix for the launcher's known refusals; null where the message itself is all there is to say.</summary>
    public static string? FixFor(string message, string user)
    {
        if (NotInGroup().Match(message) is { Success: true } group)
        {
            return $"Add the account to the job group, as root: usermod -aG {group.Groups["group"].Value} {user}";
        }

        if (PrivilegedGroup().Match(message) is { Success: true } privileged)
        {
            return $"The launcher never acts as a member of '{privileged.Groups["group"].Value}'. Remove the account from it (gpasswd -d {user} {privileged.Groups["group"].Value}), or bind the portal user to another account.";
        }

        if (message.Contains("subuid", StringComparison.Ordinal) || message.Contains("subordinate", StringComparison.Ordinal))
        {
            return $"Give the account a subordinate id range above every real id, as root: usermod --add-subuids START-END --add-subgids START-END {user} (deploy/install.sh hands out free blocks).";
        }

        if (message.Contains("home roots", StringComparison.Ordinal))
        {
            return "Move the account's home below one of the policy's homeRoots, or add its parent folder to homeRoots in the launcher policy.";
        }

        return null;
    }

    private async Task<UserCheckStep> ThrowawayContainerAsync(string user, string image, CancellationToken cancellationToken)
    {
        string job = JobKeys.HostCheckPrefix + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        const string Name = "throwaway container";
        try
        {
            await launcher.RunAsync(user, job, new RunSpec { Image = image, Command = ["true"], Cpus = 0.5, MemoryMiB = 64 }, cancellationToken);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(ContainerDeadline);
            while (true)
            {
                ContainerState state = await launcher.InspectAsync(user, job, deadline.Token);
                if (state.State is "exited" or "stopped")
                {
                    return state.ExitCode == 0
                        ? new(Name, true, $"Started {image} as {user} and it exited cleanly.")
                        : new(Name, false, $"{image} started as {user} but 'true' exited with {state.ExitCode?.ToString(CultureInfo.InvariantCulture) ?? "no code"}.",
                            "Look at the container's image: 'true' must exist on its PATH.");
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), deadline.Token);
            }
        }
        catch (LauncherException e)
        {
            return new(Name, false, $"Starting {image} as {user} failed: {e.Message}", FixFor(e.Message, user));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new(Name, false, $"{image} did not start and exit within {ContainerDeadline.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s.",
                "Check podman as the account (podman run --rm IMAGE true) and the launcher's audit log.");
        }
        finally
        {
            await RemoveQuietlyAsync(user, job);
        }
    }

    private async Task RemoveQuietlyAsync(string user, string job)
    {
        try
        {
            await launcher.RemoveAsync(user, job, TimeSpan.Zero, CancellationToken.None);
            await launcher.ReleaseAsync(user, job, CancellationToken.None);
        }
        catch (LauncherException)
        {
            // Nothing was made (the start failed before podman), or it is gone already.
        }
    }

    [GeneratedRegex("is not a member of the group '(?<group>[^']+)'")]
    private static partial Regex NotInGroup();

    [GeneratedRegex("member of the privileged group '(?<group>[^']+)'")]
    private static partial Regex PrivilegedGroup();
}
