using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Portal.Bench.Dashboard;

/// <summary>The portal as its own process (a Release build), so /proc shows its CPU time and memory alone.</summary>
internal sealed partial class PortalProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<(string User, string Password)> _admin = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _adminName;

    private PortalProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public static PortalProcess Start(string portalDll, Uri address, string dataDirectory, string gpuSearchPath)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(portalDll);
        info.WorkingDirectory = Path.GetDirectoryName(portalDll)!;
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment["Urls"] = address.ToString();
        info.Environment["Portal__DataDirectory"] = dataDirectory;
        info.Environment["Portal__Gpus__SearchPath"] = gpuSearchPath;
        info.Environment["Portal__Gpus__Interval"] = "00:00:01";
        info.Environment["Logging__LogLevel__Default"] = "Warning";
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the portal.");
        var portal = new PortalProcess(process);
        process.OutputDataReceived += (_, e) => portal.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Console.Error.WriteLine($"portal: {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return portal;
    }

    /// <summary>The first admin and its one-time password, as the portal prints them on first run.</summary>
    public Task<(string User, string Password)> FirstAdminAsync => _admin.Task;

    /// <summary>Waits until the portal answers its liveness probe: it prints the first admin before Kestrel listens.</summary>
    public async Task WaitUntilListeningAsync(Uri address, TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(new Uri("/healthz", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow >= deadline || _process.HasExited)
            {
                throw new InvalidOperationException($"The portal did not answer /healthz within {timeout}.");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250));
        }
    }

    /// <summary>Total CPU time (user + system) of the portal process, from /proc/PID/stat.</summary>
    public TimeSpan CpuTime()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        // Fields after the command name (which may contain spaces) start after the last ')'.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux.
    }

    /// <summary>Resident memory of the portal process in KiB, from /proc/PID/status.</summary>
    public long RssKiB()
    {
        var line = File.ReadLines($"/proc/{Pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM first: a graceful stop also stops the private PostgreSQL cluster, which runs detached from
            // the portal and would outlive a kill.
            using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await term.WaitForExitAsync();
            }

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
    }

    private void OnOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        if (AdminLine().Match(line) is { Success: true } admin)
        {
            _adminName = admin.Groups["name"].Value;
        }
        else if (PasswordLine().Match(line) is { Success: true } password && _adminName is not null)
        {
            _admin.TrySetResult((_adminName, password.Groups["password"].Value));
        }
    }

    [GeneratedRegex(@"First admin account created: (?<name>[^,]+),")]
    private static partial Regex AdminLine();

    [GeneratedRegex(@"One-time password: (?<password>\S+)")]
    private static partial Regex PasswordLine();
}
