using System.Diagnostics;
using System.Globalization;

namespace Portal.Core.Processes;

/// <summary>The outcome of a finished external command.</summary>
public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;

    /// <summary>What a person needs to read when the tool failed: stderr, else stdout.</summary>
    public string Message => (string.IsNullOrWhiteSpace(StandardError) ? StandardOutput : StandardError).Trim();
}

/// <summary>
/// Runs a short system command of the portal's (initdb, pg_ctl, runuser, getent, nvidia-smi) with an argument list,
/// never a shell, with a timeout and captured output, through System.Diagnostics.Process. (The launcher starts podman
/// its own way, with posix_spawn and an exact environment, as root then the job's owner: its <c>ToolProcess</c>.)
/// </summary>
public static class ExternalCommand
{
    /// <summary>Runs <paramref name="fileName"/> with the portal's own environment and a stable language.</summary>
    public static Task<CommandResult> RunAsync(
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
        return RunAsync(startInfo, timeout, cancellationToken);
    }

    /// <summary>A start for <paramref name="executable"/> with only what it needs in its environment: a stable locale
    /// so numbers print with a dot, and PATH (<paramref name="searchPath"/>) for its own helpers.</summary>
    internal static ProcessStartInfo CleanStartInfo(string executable, IEnumerable<string> arguments, string? searchPath)
    {
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.Environment.Clear();
        info.Environment["PATH"] = searchPath ?? "/usr/bin:/bin";
        info.Environment["LC_ALL"] = "C";
        return info;
    }

    /// <summary>Runs <paramref name="info"/> to its end, or kills it and everything it started after <paramref name="timeout"/>.</summary>
    internal static async Task<CommandResult> RunAsync(ProcessStartInfo info, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {info.FileName}.");
        if (info.RedirectStandardInput)
        {
            // Nothing to say to it: a tool that would prompt sees end of input instead of a terminal.
            process.StandardInput.Close();
        }

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(timeoutSource.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeoutSource.Token);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token);
            return new CommandResult(process.ExitCode, await stdout, await stderr);
        }
        catch (OperationCanceledException)
        {
            // A hung driver call must not hang the portal: kill it and everything it started.
            process.Kill(entireProcessTree: true);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new TimeoutException(string.Create(CultureInfo.InvariantCulture, $"{info.FileName} did not finish within {timeout.TotalSeconds:0.#} s."));
        }
    }
}
