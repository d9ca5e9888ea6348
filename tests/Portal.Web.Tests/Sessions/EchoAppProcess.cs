using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.Sessions;

/// <summary>
/// The session echo app (bench/sessions/EchoApp) listening on a Unix socket, run under a uid of the test's choosing,
/// the way a rootless container's app runs under its owner's uid. The uids need no account: the kernel records them
/// as they are, and nothing is left in /etc.
/// </summary>
public sealed class EchoAppProcess : IAsyncDisposable
{
    private readonly Process _process;

    private EchoAppProcess(Process process, string socketPath)
    {
        _process = process;
        SocketPath = socketPath;
    }

    public string SocketPath { get; }

    /// <summary>Starts the app as <paramref name="uid"/> in a folder of its own under <paramref name="root"/> and waits
    /// until its socket accepts connections.</summary>
    public static async Task<EchoAppProcess> StartAsync(SessionTestFolder root, uint uid, string name)
    {
        string folder = await root.FolderForAsync(uid, name);
        string socket = Path.Combine(folder, "http.sock");
        var info = new ProcessStartInfo("/usr/bin/setpriv") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[]
        {
            "--reuid", N(uid), "--regid", N(uid), "--clear-groups", "--", "/usr/bin/env", "-i", "HOME=" + folder,
            "PATH=/usr/bin:/bin", "DOTNET_CLI_TELEMETRY_OPTOUT=1", "DOTNET_NOLOGO=1", DotnetHost(), root.AppDll, "--socket", socket,
        })
        {
            info.ArgumentList.Add(a);
        }

        Process process = Process.Start(info)!;
        var app = new EchoAppProcess(process, socket);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            string? line;
            while ((line = await process.StandardOutput.ReadLineAsync(deadline.Token)) is not null && line != "listening")
            {
            }

            if (line is null)
            {
                throw new InvalidOperationException("The echo app ended before listening: " + await process.StandardError.ReadToEndAsync(deadline.Token));
            }
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }

    /// <summary>Whether anything still accepts connections on the socket.</summary>
    public bool Accepts()
    {
        using var s = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            s.Connect(new UnixDomainSocketEndPoint(SocketPath));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }

    private static string N(uint id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>The dotnet host of the runtime the tests run on (/usr/share/dotnet/dotnet, readable by everyone).</summary>
    private static string DotnetHost() =>
        Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
}

/// <summary>
/// A folder under /tmp (0755) holding a copy of the echo app that any uid can run, and one socket folder per app
/// owned by its uid; all of it removed on dispose.
/// </summary>
public sealed class SessionTestFolder : IDisposable
{
    private static readonly string[] AppFiles = ["session-echo-app.dll", "session-echo-app.runtimeconfig.json", "session-echo-app.deps.json"];

    public SessionTestFolder()
    {
        Root = Directory.CreateTempSubdirectory("portal-session-test-").FullName;
        File.SetUnixFileMode(Root, Rwxrxrx);
        string app = Path.Combine(Root, "app");
        Directory.CreateDirectory(app);
        File.SetUnixFileMode(app, Rwxrxrx);
        foreach (string file in AppFiles)
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, file), Path.Combine(app, file));
        }

        AppDll = Path.Combine(app, AppFiles[0]);
    }

    public string Root { get; }

    public string AppDll { get; }

    private const UnixFileMode Rwxrxrx = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    /// <summary>A fresh folder owned by <paramref name="uid"/> (0700): only it and root can use what is inside.</summary>
    public async Task<string> FolderForAsync(uint uid, string name)
    {
        string folder = Path.Combine(Root, name);
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string id = uid.ToString(CultureInfo.InvariantCulture);
        await Sh.CheckedAsync("/usr/bin/chown", $"{id}:{id}", folder);
        return folder;
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
