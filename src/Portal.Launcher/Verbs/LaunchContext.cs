using Portal.Launcher.Audit;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Verbs;

/// <summary>What every verb needs: the validated request, the policy, the audit log and who called.</summary>
internal sealed record LaunchContext(LauncherRequest Request, LauncherPolicy Policy, AuditLog Audit, bool Privileged, uint CallerUid);

/// <summary>A verb's outcome: the exit code and the JSON result to print.</summary>
internal sealed record VerbResult(int ExitCode, LauncherResponse Response)
{
    public static VerbResult Success(LauncherResponse response) => new(LauncherExitCodes.Ok, response with { Ok = true });

    public static VerbResult ToolFailed(string what, Podman.ToolResult r) => new(
        LauncherExitCodes.OperationFailed,
        new LauncherResponse { Ok = false, Error = $"{what} failed: {Summarize(r.Stderr)}", ToolExitCode = r.ExitCode });

    /// <summary>Podman's stderr, trimmed to what a person needs to read.</summary>
    public static string Summarize(string stderr)
    {
        string text = stderr.Trim();
        return text.Length > 2000 ? text[^2000..] : text;
    }
}
