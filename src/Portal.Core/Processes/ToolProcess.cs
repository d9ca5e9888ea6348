using System.Diagnostics;

namespace Portal.Core.Processes;

/// <summary>The outcome of a finished tool process.</summary>
public sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>What a person needs to read when the tool failed: stderr, else stdout.</summary>
    public string Message => (string.IsNullOrWhiteSpace(StandardError) ? StandardOutput : StandardError).Trim();
}

/// <summary>
/// Runs a system tool (initdb, pg_ctl, runuser, getent) with an argument list, never a shell, with the
/// portal's own environment, a timeout and captured output.
/// </summary>
public static class ToolProcess
{
    public static async Task<ToolResult> RunAsync(
        string fileName, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // The tools print messages a person reads; keep them in a stable language.
        startInfo.Environment["LC_ALL"] = "C.UTF-8";
        ProcessResult result = await ProcessRunner.RunAsync(startInfo, timeout, cancellationToken);
        return new ToolResult(result.ExitCode, result.StandardOutput, result.StandardError);
    }
}
