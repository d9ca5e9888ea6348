using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MimeKit;

namespace Portal.Web.Tests.Notifications;

/// <summary>
/// A real SMTP server for one test: Debian's aiosmtpd on a free loopback port, writing each message it accepts into
/// a maildir. It can be stopped and started again on the same port (an outage), and is killed and its folder removed
/// on dispose, also when the test fails.
/// </summary>
public sealed class SmtpTestServer : IAsyncDisposable
{
    // Debian's own interpreter: the package installs the module there, whatever python3 comes first on PATH.
    private const string Python = "/usr/bin/python3";

    private static readonly string[] MaildirFolders = ["new", "cur"];

    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"portal-smtp-test-{Guid.NewGuid():N}");
    private Process? _process;

    private SmtpTestServer(int port) => Port = port;

    public int Port { get; }

    private string Maildir => Path.Combine(_folder, "maildir");

    public static async Task<SmtpTestServer> StartAsync()
    {
        var server = new SmtpTestServer(FreePort());
        try
        {
            await server.StartAgainAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the server (again) on its port and waits until it answers.</summary>
    public async Task StartAgainAsync()
    {
        if (_process is not null)
        {
            throw new InvalidOperationException("The SMTP server already runs.");
        }

        Directory.CreateDirectory(_folder);
        var start = new ProcessStartInfo(Python)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // -n: no setuid to 'nobody', which aiosmtpd does when started as root (it could then not write the folder).
        foreach (var argument in new[] { "-m", "aiosmtpd", "-n", "-l", $"127.0.0.1:{Port}", "-c", "aiosmtpd.handlers.Mailbox", Maildir })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("aiosmtpd did not start.");
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!await AnswersAsync())
        {
            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"aiosmtpd did not answer on 127.0.0.1:{Port} (is python3-aiosmtpd installed?).");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Kills the server: connections are refused until <see cref="StartAgainAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        _process = null;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync();
        process.Dispose();
    }

    /// <summary>Every message the server accepted so far.</summary>
    public IReadOnlyList<MimeMessage> Messages()
    {
        var files = MaildirFolders
            .Select(d => Path.Combine(Maildir, d))
            .Where(Directory.Exists)
            .SelectMany(Directory.EnumerateFiles)
            .Order(StringComparer.Ordinal);
        return [.. files.Select(f => MimeMessage.Load(f))];
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private async Task<bool> AnswersAsync()
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
