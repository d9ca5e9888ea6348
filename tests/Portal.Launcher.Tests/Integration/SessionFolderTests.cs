using System.Globalization;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// Session folders (docs/launcher.md, "Sessions"): each rule and a test that tries to break it, through the real
/// launcher, real podman and throwaway users. Connections are made with curl as a uid in the proxy group (the
/// portal's place) and as another user.
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class SessionFolderTests(LauncherFixture f)
{
    private const uint PortalUid = 61_050;
    private static readonly Dictionary<string, object> Plain = [];

    [Fact]
    public async Task ASession_GetsAFolderOfTheUserAndTheProxyGroup_Mode2710_MountedWithAUmaskForTheGroup()
    {
        string job = LauncherRunner.NewJob();
        string folder = Path.Combine(LauncherFixture.SessionsDir, job);

        LauncherCall run = await LauncherRunner.RunAsync(f, Requests.Run(f.Alice.Name, job,
            ["sh", "-c", "touch /run/portal-session/made-inside; sleep 300"], session: Plain));

        try
        {
            Assert.True(run.ExitCode == 0, run.ToString());
            string made = Path.Combine(folder, "made-inside");
            await Wait.UntilAsync(() => Task.FromResult(File.Exists(made)), e => e, TimeSpan.FromSeconds(30), "the app's file in the session folder");
            Assert.Equal($"{f.Alice.Uid} {await ProxyGidAsync()} 2710 directory", await StatAsync(folder));
            // Created by the container's root, which is alice on the host; 0660 from the umask, group from the setgid folder.
            Assert.Equal($"{f.Alice.Uid} {await ProxyGidAsync()} 660 regular empty file", await StatAsync(made));
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }

        Assert.False(Path.Exists(folder), "remove leaves no session folder");
    }

    [Fact]
    public async Task ABridgedApp_ServesItsLoopbackPort_OnTheSocket_ToTheProxyGroupAndNobodyElse()
    {
        string job = LauncherRunner.NewJob();
        string socket = Path.Combine(LauncherFixture.SessionsDir, job, "http.sock");

        LauncherCall run = await LauncherRunner.RunAsync(f, Requests.Run(f.Alice.Name, job,
            ["httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/etc"], session: new Dictionary<string, object> { ["bridgePort"] = 8080 }));

        try
        {
            Assert.True(run.ExitCode == 0, run.ToString());
            ShellResult portal = await Wait.UntilAsync(() => CurlAsPortalAsync(socket, "/passwd"), r => r.ExitCode == 0,
                TimeSpan.FromSeconds(30), "the app through the bridge");
            Assert.Contains("root:x:0:0", portal.Stdout, StringComparison.Ordinal);
            Assert.Equal($"{f.Alice.Uid} {await ProxyGidAsync()} 660 socket", await StatAsync(socket));

            ShellResult bob = await Shell.AsUserAsync(f.Bob, "/usr/bin/curl", "-sS", "--unix-socket", socket, "http://localhost/passwd");
            Assert.NotEqual(0, bob.ExitCode);
            Assert.DoesNotContain("root:x:0:0", bob.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task Stop_RemovesTheFolder_NeverFollowingTheLinksTheUserLeftInIt()
    {
        string job = LauncherRunner.NewJob();
        string folder = Path.Combine(LauncherFixture.SessionsDir, job);
        string bait = Path.Combine(LauncherFixture.Root, "bait-" + job);
        await File.WriteAllTextAsync(bait, "keep me\n");
        Assert.True((await LauncherRunner.RunAsync(f, Requests.Run(f.Alice.Name, job, ["sleep", "300"], session: Plain))).ExitCode == 0);

        // Alice fills her folder: a link to a root file, a link to a directory, a nested tree, a file.
        foreach (string[] step in new[]
        {
            new[] { "/bin/ln", "-s", bait, folder + "/link-to-file" },
            ["/bin/ln", "-s", "/etc", folder + "/link-to-dir"],
            ["/bin/mkdir", "-p", folder + "/a/b/c"],
            ["/bin/ln", "-s", LauncherFixture.Root, folder + "/a/b/c/up"],
            ["/usr/bin/touch", folder + "/a/b/c/file"],
        })
        {
            ShellResult r = await Shell.AsUserAsync(f.Alice, step[0], step[1..]);
            Assert.True(r.ExitCode == 0, r.ToString());
        }

        LauncherCall stop = await LauncherRunner.RunAsync(f, Requests.Stop(f.Alice.Name, job, 0));
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.False(Path.Exists(folder));
        Assert.Equal("keep me\n", await File.ReadAllTextAsync(bait));
        Assert.True(File.Exists("/etc/passwd") && Directory.Exists(LauncherFixture.Root + "/bin"));
        File.Delete(bait);
    }

    [Fact]
    public async Task AFolderOfAnotherUser_UnderTheSameJobId_IsNeverTakenOverNorRemoved()
    {
        string job = LauncherRunner.NewJob();
        string folder = Path.Combine(LauncherFixture.SessionsDir, job);
        Directory.CreateDirectory(LauncherFixture.SessionsDir);
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(folder + "/bobs", "bob's\n");
        await Shell.CheckedAsync("/usr/bin/chown", "-R", $"{f.Bob.Uid}:{f.Bob.Gid}", folder);

        try
        {
            LauncherCall run = await LauncherRunner.RunAsync(f, Requests.Run(f.Alice.Name, job, ["true"], session: Plain));
            LauncherCall stop = await LauncherRunner.RunAsync(f, Requests.Stop(f.Alice.Name, job, 0));

            Assert.NotEqual(0, run.ExitCode);
            Assert.Empty(LauncherRunner.PodmanStarts(run));
            // The stop itself goes on (nothing may keep a job running); the folder is left, and the audit log says so.
            Assert.Contains(LauncherRunner.AuditRecords(stop),
                r => r.GetProperty("detail").GetString()!.Contains("session folder left in place", StringComparison.Ordinal));
            Assert.StartsWith($"{f.Bob.Uid} {f.Bob.Gid} ", await StatAsync(folder), StringComparison.Ordinal);
            Assert.Equal("bob's\n", await File.ReadAllTextAsync(folder + "/bobs"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task ALinkPlantedWhereTheFolderGoes_IsNotFollowed()
    {
        string job = LauncherRunner.NewJob();
        string folder = Path.Combine(LauncherFixture.SessionsDir, job);
        string target = Path.Combine(LauncherFixture.Root, "target-" + job);
        Directory.CreateDirectory(target);
        Directory.CreateDirectory(LauncherFixture.SessionsDir);
        File.CreateSymbolicLink(folder, target);

        try
        {
            LauncherCall run = await LauncherRunner.RunAsync(f, Requests.Run(f.Alice.Name, job, ["true"], session: Plain));

            Assert.NotEqual(0, run.ExitCode);
            Assert.Empty(LauncherRunner.PodmanStarts(run));
            Assert.Equal("0 0 755 directory", await StatAsync(target));
        }
        finally
        {
            File.Delete(folder);
            Directory.Delete(target);
        }
    }

    [Fact]
    public async Task AUserInTheProxyGroup_GetsNoSession()
    {
        string job = LauncherRunner.NewJob();
        await Shell.CheckedAsync("/usr/sbin/usermod", "-aG", LauncherFixture.ProxyGroup, f.Bob.Name);
        try
        {
            LauncherCall run = await LauncherRunner.RunAsync(f, Requests.Run(f.Bob.Name, job, ["true"], session: Plain));

            Assert.Equal(2, run.ExitCode);
            Assert.Contains("sessions group", run.Stderr, StringComparison.Ordinal);
            Assert.False(Path.Exists(Path.Combine(LauncherFixture.SessionsDir, job)));
        }
        finally
        {
            await Shell.CheckedAsync("/usr/bin/gpasswd", "-d", f.Bob.Name, LauncherFixture.ProxyGroup);
        }
    }

    [Theory]
    [InlineData("/run/portal-session")]
    [InlineData("/run/portal-session/http.sock")]
    [InlineData("/.portal")]
    [InlineData("/.portal/sockbridge")]
    public async Task AMountOverTheSessionFolderOrTheBridge_IsRefused(string target)
    {
        string job = LauncherRunner.NewJob();
        object mount = new Dictionary<string, object> { ["source"] = f.Alice.Home, ["target"] = target };

        LauncherCall run = await LauncherRunner.RunAsync(f, Requests.Run(f.Alice.Name, job, ["true"], mounts: [mount], session: Plain));

        Assert.Equal(2, run.ExitCode);
        Assert.Empty(LauncherRunner.PodmanStarts(run));
    }

    [Fact]
    public async Task ABridgedAppWithoutACommand_IsRefused()
    {
        LauncherCall run = await LauncherRunner.RunAsync(f, Requests.Run(f.Alice.Name, LauncherRunner.NewJob(), [],
            session: new Dictionary<string, object> { ["bridgePort"] = 8080 }));

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("needs its command", run.Stderr, StringComparison.Ordinal);
    }

    /// <summary>"uid gid mode type" of a path, not following a link.</summary>
    private static async Task<string> StatAsync(string path) =>
        (await Shell.CheckedAsync("/usr/bin/stat", "-c", "%u %g %a %F", path)).Trim();

    private static async Task<string> ProxyGidAsync() =>
        (await Shell.CheckedAsync("/usr/bin/getent", "group", LauncherFixture.ProxyGroup)).Split(':')[2];

    /// <summary>curl as a uid whose only group is the proxy group: what the portal's account is.</summary>
    private static async Task<ShellResult> CurlAsPortalAsync(string socket, string path)
    {
        string gid = await ProxyGidAsync();
        return await Shell.RunAsync("/usr/bin/setpriv", ["--reuid", PortalUid.ToString(CultureInfo.InvariantCulture), "--regid", gid,
            "--groups", gid, "--", "/usr/bin/curl", "-sS", "--fail", "--unix-socket", socket, "http://localhost" + path]);
    }
}
