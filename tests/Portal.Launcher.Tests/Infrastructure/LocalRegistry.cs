using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Portal.Launcher.Tests.Infrastructure;

/// <summary>
/// A real image registry (Debian's docker-registry, distribution 2.8) on 127.0.0.1, plain HTTP, storage in a temporary
/// folder. Disposing stops it and removes the folder, also after a failed test. Its log (stderr) records every request,
/// so a test can prove that a refused pull never reached it.
/// </summary>
public sealed class LocalRegistry : IAsyncDisposable
{
    public const string Binary = "/usr/bin/docker-registry";

    private readonly Process _process;
    private readonly string _dir;
    private readonly System.Text.StringBuilder _log = new();

    private LocalRegistry(Process process, string dir, string host)
    {
        _process = process;
        _dir = dir;
        Host = host;
    }

    /// <summary><c>127.0.0.1:port</c>, as image references name it.</summary>
    public string Host { get; }

    /// <summary>Everything the registry logged so far.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<LocalRegistry> StartAsync()
    {
        string dir = Directory.CreateTempSubdirectory("ptest-registry-").FullName;
        int port = FreePort();
        string host = "127.0.0.1:" + port.ToString(CultureInfo.InvariantCulture);
        File.WriteAllText(dir + "/config.yml", $"""
            version: 0.1
            log:
              level: info
              accesslog:
                disabled: false
            storage:
              filesystem:
                rootdirectory: {dir}/data
              delete:
                enabled: true
            http:
              addr: {host}
            """);
        var psi = new ProcessStartInfo(Binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add(dir + "/config.yml");
        var registry = new LocalRegistry(Process.Start(psi)!, dir, host);
        registry._process.ErrorDataReceived += (_, e) => registry.Append(e.Data);
        registry._process.OutputDataReceived += (_, e) => registry.Append(e.Data);
        registry._process.BeginErrorReadLine();
        registry._process.BeginOutputReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            await Wait.UntilAsync(async () => registry._process.HasExited || await registry.AnswersAsync(http), up => up, TimeSpan.FromSeconds(30),
                $"the registry on {host} to answer");
            if (registry._process.HasExited)
            {
                throw new InvalidOperationException($"docker-registry exited {registry._process.ExitCode}: {registry.Log}");
            }
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }

        return registry;
    }

    /// <summary>Puts the busybox test image into the registry as <paramref name="name"/>: imported into a throwaway
    /// root storage (never root's own) and pushed from there.</summary>
    public async Task PushBusyboxAsync(string name)
    {
        string storage = _dir + "/push";
        string[] store = ["--root", storage + "/root", "--runroot", storage + "/run", "--tmpdir", storage + "/tmp", "--storage-driver", "vfs",
            "--events-backend", "none"];
        try
        {
            await Shell.CheckedAsync("/usr/bin/podman", [.. store, "import", "--change", "ENV PATH=/bin", LauncherFixture.BusyboxTar, "localhost/ptest-push:latest"]);
            await Shell.CheckedAsync("/usr/bin/podman", [.. store, "push", "--tls-verify=false", "localhost/ptest-push:latest", $"{Host}/{name}"]);
        }
        finally
        {
            await Shell.RunAsync("/usr/bin/podman", [.. store, "system", "reset", "--force"]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<bool> AnswersAsync(HttpClient http)
    {
        try
        {
            using HttpResponseMessage r = await http.GetAsync(new Uri($"http://{Host}/v2/"));
            return r.StatusCode == HttpStatusCode.OK;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
