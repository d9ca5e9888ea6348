using System.Diagnostics;
using System.Text;

namespace Portal.Web.Tests.Cli;

/// <summary>The exit code and output of one run of the <c>portal</c> command.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>
/// Runs the built <c>portal</c> command (portal.dll, copied next to the tests by the project reference) as a
/// separate process with its own config folder, as a person at a terminal would.
/// </summary>
public sealed class CliProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private CliProcess(Process process)
    {
        _process = process;
    }

    public int Pid => _process.Id;

    /// <summary>Whether the process ignores SIGINT (bit 1 of SigIgn in /proc/PID/status), as Ctrl-C would then do nothing.</summary>
    public bool IgnoresSigint
    {
        get
        {
            var mask = File.ReadLines($"/proc/{Pid}/status").Single(l => l.StartsWith("SigIgn:", StringComparison.Ordinal))[7..].Trim();
            return (Convert.ToUInt64(mask, 16) & (1UL << 1)) != 0;
        }
    }

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    public static CliProcess Start(string configDirectory, IEnumerable<string> args, string? stdin = null)
    {
        // Through env, with SIGINT back at its default: a command at a terminal gets Ctrl-C, but a test run started in
        // the background (by CI, nohup, `cmd &` in a script) inherits SIGINT ignored, and .NET respects an ignored
        // signal (it installs no handler), so `kill -INT` would do nothing and a Ctrl-C test would wait in vain.
        var psi = new ProcessStartInfo("/usr/bin/env")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        psi.ArgumentList.Add("--default-signal=INT");
        psi.ArgumentList.Add("dotnet");
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "portal.dll"));
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment["XDG_CONFIG_HOME"] = configDirectory;
        psi.Environment.Remove("PORTAL_URL");
        psi.Environment.Remove("PORTAL_TOKEN");
        var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start portal.");
        var cli = new CliProcess(process);
        process.OutputDataReceived += (_, e) => Append(cli._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => Append(cli._stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (stdin is not null)
        {
            process.StandardInput.WriteLine(stdin);
        }

        process.StandardInput.Close();
        return cli;
    }

    public static async Task<CliResult> RunAsync(string configDirectory, string? stdin, params string[] args)
    {
        await using var cli = Start(configDirectory, args, stdin);
        return await cli.WaitAsync(TimeSpan.FromSeconds(120));
    }

    public async Task<CliResult> WaitAsync(TimeSpan within)
    {
        using var deadline = new CancellationTokenSource(within);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            throw new TimeoutException($"portal did not finish in {within.TotalSeconds:0} s; so far:\n{Result(-1)}");
        }

        // WaitForExitAsync also waits for the redirected streams to reach their end.
        return Result(_process.ExitCode);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private CliResult Result(int exitCode)
    {
        lock (_stderr)
        {
            return new CliResult(exitCode, Stdout, _stderr.ToString());
        }
    }

    private static void Append(StringBuilder buffer, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (buffer)
        {
            buffer.Append(line).Append('\n');
        }
    }
}
