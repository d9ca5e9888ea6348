using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Portal.Production.Tests;

/// <summary>
/// The installed portal, started the way its systemd unit says (User=, WorkingDirectory=, EnvironmentFile=,
/// ExecStart= read from the installed unit file), since CI has no systemd to do it: as the `portal` account with
/// its own groups and only the unit's environment. The process id is the portal's own (setpriv and env exec it).
/// </summary>
public sealed partial class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];

    private ServiceProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    /// <summary>Everything the portal wrote to stdout and stderr so far, line by line.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public static ServiceProcess Start(string unitFile)
    {
        var unit = File.ReadAllLines(unitFile);
        var user = Setting(unit, "User");
        var environment = File.ReadAllLines(Setting(unit, "EnvironmentFile"))
            .Where(l => l.Length > 0 && !l.StartsWith('#'));
        var psi = new ProcessStartInfo("/usr/bin/setpriv")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Setting(unit, "WorkingDirectory"),
        };
        foreach (var arg in (string[])["--reuid", user, "--regid", user, "--init-groups", "--", "/usr/bin/env", "-i",
            "PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/var/lib/portal", "LANG=C.UTF-8", .. environment,
            .. Setting(unit, "ExecStart").Split(' ', StringSplitOptions.RemoveEmptyEntries)])
        {
            psi.ArgumentList.Add(arg);
        }

        var process = Process.Start(psi) ?? throw new InvalidOperationException("Could not start the portal.");
        var service = new ServiceProcess(process);
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>The first admin's one-time password, once the portal has printed it.</summary>
    public string? OneTimePassword() =>
        Lines.Select(l => OneTimePasswordLine().Match(l)).FirstOrDefault(m => m.Success)?.Groups[1].Value;

    /// <summary>SIGKILL, as a crash or an OOM kill would end it: no shutdown code runs.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }

    private static string Setting(string[] unit, string key) =>
        unit.Select(l => l.Trim()).LastOrDefault(l => l.StartsWith(key + "=", StringComparison.Ordinal))?[(key.Length + 1)..]
        ?? throw new InvalidOperationException($"The unit has no {key}=.");

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_lines)
            {
                _lines.Add(line);
            }
        }
    }

    [GeneratedRegex(@"One-time password: (\S+)")]
    private static partial Regex OneTimePasswordLine();
}
