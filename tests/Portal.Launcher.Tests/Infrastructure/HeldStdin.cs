using System.Diagnostics;

namespace Portal.Launcher.Tests.Infrastructure;

/// <summary>
/// A launcher started the way the portal starts a followed log stream: the request as one line on
/// stdin, which then stays open until the test closes it.
/// </summary>
public sealed class HeldStdin : IDisposable
{
    private readonly Process _process;

    private HeldStdin(Process process, DateTime startedAtUtc)
    {
        _process = process;
        StartedAtUtc = startedAtUtc;
    }

    public int Pid => _process.Id;

    public DateTime StartedAtUtc { get; }

    public static Task<HeldStdin> StartAsync(string request, string file, params string[] args) => StartAsync(request, stdoutClosedFirst: false, file, args);

    /// <summary>With <paramref name="stdoutClosedFirst"/>, the read end of stdout is closed before the request is written.</summary>
    public static async Task<HeldStdin> StartAsync(string request, bool stdoutClosedFirst, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
        DateTime started = DateTime.UtcNow;
        var held = new HeldStdin(Process.Start(psi)!, started);
        if (stdoutClosedFirst)
        {
            held.CloseStdout();
        }

        await held._process.StandardInput.WriteAsync(request + "\n");
        await held._process.StandardInput.FlushAsync();
        return held;
    }

    /// <summary>The next line of stdout. Awaited to completion, so no read is left pending on the pipe.</summary>
    public async Task<string?> ReadLineAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        return await _process.StandardOutput.ReadLineAsync(timeout.Token);
    }

    public void CloseStdin() => _process.StandardInput.Close();

    /// <summary>Closes the read end of stdout: with no read pending, the launcher's end reports POLLERR at once.</summary>
    public void CloseStdout() => _process.StandardOutput.BaseStream.Dispose();

    /// <summary>True if the process ended within <paramref name="within"/>.</summary>
    public async Task<bool> ExitsWithinAsync(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public int ExitCode => _process.ExitCode;

    public Task<string> ReadStdoutToEndAsync() => _process.StandardOutput.ReadToEndAsync();

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        _process.Dispose();
    }
}
