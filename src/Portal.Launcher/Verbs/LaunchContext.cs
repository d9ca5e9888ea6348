using Portal.Launcher.Audit;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Verbs;

/// <summary>What every verb needs: the validated request, the policy, the audit log and who called.</summary>
/// <param name="Request">The request, already validated.</param>
/// <param name="Policy">The root-owned policy.</param>
/// <param name="Audit">Where every decision is recorded.</param>
/// <param name="Privileged">Run through sudo (true) or as a plain user in dev mode.</param>
/// <param name="CallerUid">The real uid of the caller.</param>
/// <param name="PodmanProblem">Why the policy's podman is not trustworthy, or null; only <c>check</c> runs despite it.</param>
internal sealed record LaunchContext(
    LauncherRequest Request, LauncherPolicy Policy, AuditFile Audit, bool Privileged, uint CallerUid, string? PodmanProblem = null);

/// <summary>A verb's outcome: the exit code and the JSON result to print.</summary>
internal sealed record VerbResult(int ExitCode, LauncherResponse Response)
{
    public static VerbResult Success(LauncherResponse response) => new(LauncherExitCodes.Ok, response with { Ok = true });

    public static VerbResult ToolFailed(string what, Podman.ToolResult r, CgroupState? cgroup = null) => new(
        LauncherExitCodes.OperationFailed,
        new LauncherResponse { Ok = false, Error = $"{what} failed: {Summarize(r.Stderr)}", ToolExitCode = r.ExitCode, Cgroup = cgroup });

    /// <summary>A tool that passed its deadline and was killed (exit code <see cref="LauncherExitCodes.ToolTimedOut"/>).</summary>
    public static VerbResult TimedOut(string what, int seconds, CgroupState? cgroup) => new(
        LauncherExitCodes.ToolTimedOut,
        new LauncherResponse
        {
            Ok = false,
            Error = $"{what} did not finish within {seconds} s (the policy's podmanTimeoutSeconds) and was killed; podman's database may be locked or broken.",
            Cgroup = cgroup,
        });

    /// <summary>Podman's stderr, trimmed to what a person needs to read.</summary>
    public static string Summarize(string stderr)
    {
        string text = stderr.Trim();
        return text.Length > 2000 ? text[^2000..] : text;
    }
}
