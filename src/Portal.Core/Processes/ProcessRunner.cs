using System.Diagnostics;
using System.Globalization;

namespace Portal.Core.Processes;

/// <summary>The outcome of a short helper command.</summary>
internal sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>Runs a short helper command with an argv list (never a shell), a clean environment and a timeout.</summary>
internal static class ProcessRunner
{
    public static ProcessStartInfo StartInfo(string executable, IEnumerable<string> arguments, string? searchPath)
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

        // Only what the tool needs: a stable locale so numbers print with a dot, and PATH for its own helpers.
        info.Environment.Clear();
        info.Environment["PATH"] = searchPath ?? "/usr/bin:/bin";
        info.Environment["LC_ALL"] = "C";
        return info;
    }

    public static async Task<ProcessResult> RunAsync(ProcessStartInfo info, TimeSpan timeout, CancellationToken cancellationToken)
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
            return new ProcessResult(process.ExitCode, await stdout, await stderr);
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
