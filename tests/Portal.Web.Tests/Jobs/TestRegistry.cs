using System.Diagnostics;
using System.Net;
using System.Text;

namespace Portal.Web.Tests.Jobs;

/// <summary>
/// A real image registry (Debian's docker-registry) on <see cref="Host"/>, plain HTTP, storage in a temporary folder,
/// for the image pull tests of the web and browser suites. The host's policy and the portal's settings name it.
/// Disposing stops it and removes the folder.
/// </summary>
public sealed class TestRegistry : IAsyncDisposable
{
    /// <summary>A fixed port, so that the policy and the portal's settings can name it before it runs; only the
    /// process that holds the job host starts it.</summary>
    public const string Host = "127.0.0.1:5071";

    /// <summary>The busybox image as pushed, under <see cref="Host"/>; a different id from the users' local one.</summary>
    public const string Busybox = Host + "/pweb/busybox:1";

    private readonly Process _process;
    private readonly string _dir;
    private readonly StringBuilder _log = new();

    private TestRegistry(Process process, string dir)
    {
        _process = process;
        _dir = dir;
    }

    /// <summary>Starts the registry and pushes <paramref name="busyboxTar"/> to it as <see cref="Busybox"/>.</summary>
    public static async Task<TestRegistry> StartAsync(string busyboxTar)
    {
        string dir = Directory.CreateTempSubdirectory("pweb-registry-").FullName;
        await File.WriteAllTextAsync(dir + "/config.yml", $"""
            version: 0.1
            log:
              level: info
            storage:
              filesystem:
                rootdirectory: {dir}/data
              delete:
                enabled: true
            http:
              addr: {Host}
            """);
        var psi = new ProcessStartInfo("/usr/bin/docker-registry") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add(dir + "/config.yml");
        var registry = new TestRegistry(Process.Start(psi)!, dir);
        registry._process.ErrorDataReceived += (_, e) => registry.Append(e.Data);
        registry._process.OutputDataReceived += (_, e) => registry.Append(e.Data);
        registry._process.BeginErrorReadLine();
        registry._process.BeginOutputReadLine();
        try
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
            await Eventually.UntilAsync(async () => registry._process.HasExited || await AnswersAsync(http), up => up, TimeSpan.FromSeconds(30),
                $"the registry on {Host} to answer");
            if (registry._process.HasExited)
            {
                throw new InvalidOperationException($"docker-registry exited {registry._process.ExitCode}: {registry.Log}");
            }

            await registry.PushAsync(busyboxTar);
        }
        catch
        {
            await registry.DisposeAsync();
            throw;
        }

        return registry;
    }

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

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It had exited already (it can between any check and the kill): nothing to end.
        }

        await _process.WaitForExitAsync();

        _process.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Imported into a throwaway root storage (never root's own), with a label so that its id differs from
    /// the users' local busybox, and pushed from there.</summary>
    private async Task PushAsync(string tar)
    {
        string storage = _dir + "/push";
        string[] store = ["--root", storage + "/root", "--runroot", storage + "/run", "--tmpdir", storage + "/tmp", "--storage-driver", "vfs",
            "--events-backend", "none"];
        try
        {
            await Sh.CheckedAsync("/usr/bin/podman", [.. store, "import", "--change", "ENV PATH=/bin", "--change", "LABEL pweb.pushed=1", tar, "localhost/pweb-push:latest"]);
            await Sh.CheckedAsync("/usr/bin/podman", [.. store, "push", "--tls-verify=false", "localhost/pweb-push:latest", Busybox]);
        }
        finally
        {
            await Sh.RunAsync("/usr/bin/podman", [.. store, "system", "reset", "--force"]);
        }
    }

    private static async Task<bool> AnswersAsync(HttpClient http)
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
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}
