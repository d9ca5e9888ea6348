using System.Globalization;
using Portal.Launcher.Protocol;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// An app's web front (docs/apps.md, "The web front"): the one service with a session section gets the job's session
/// folder and sockbridge, exactly as a session's run does; app-stop and app-remove take the folder away. Through the
/// real launcher, real podman and throwaway users; connections are made as a uid in the proxy group (the portal's
/// place) and as another user.
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class AppWebFrontTests(LauncherFixture f)
{
    private const uint PortalUid = 61_051;

    [Fact]
    public async Task AnAppsWebFront_IsServedOnItsSessionSocket_ToTheProxyGroupOnly_AndAppStopTakesTheFolderAway()
    {
        string job = LauncherRunner.NewJob();
        string folder = Path.Combine(LauncherFixture.SessionsDir, job);
        string socket = Path.Combine(folder, SessionRules.SocketName);
        var app = new AppSpec
        {
            Services =
            [
                // The front serves /etc, where the app's generated hosts file is: what it serves is the app's own.
                Apps.Service("web", ["httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/etc"]) with
                {
                    Run = new RunSpec
                    {
                        Image = LauncherFixture.Image, Command = ["httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/etc"],
                        Session = new SessionSpec { BridgePort = 8080 },
                    },
                },
                Apps.Service("worker", ["sh", "-c", "wget -q -O /tmp/hosts http://web:8080/hosts; sleep 300"]),
            ],
        };
        try
        {
            LauncherCall up = await LauncherRunner.RunAsync(f, Apps.Up(f.Alice.Name, job, app));

            Assert.True(up.ExitCode == 0, up.ToString());
            ShellResult portal = await Wait.UntilAsync(() => CurlAsPortalAsync(socket, "/hosts"), r => r.ExitCode == 0,
                TimeSpan.FromSeconds(30), "the web front through the bridge");
            Assert.Contains("web", portal.Stdout, StringComparison.Ordinal);
            Assert.Contains("worker", portal.Stdout, StringComparison.Ordinal);
            Assert.Equal($"{f.Alice.Uid} {await ProxyGidAsync()} 2710 directory", await StatAsync(folder));
            Assert.Equal($"{f.Alice.Uid} {await ProxyGidAsync()} 660 socket", await StatAsync(socket));
            Assert.Equal(2, (await Apps.InspectAsync(f, f.Alice, job)).Count(s => s.State == "running"));

            ShellResult bob = await Shell.AsUserAsync(f.Bob, "/usr/bin/curl", "-sS", "--unix-socket", socket, "http://localhost/hosts");
            Assert.NotEqual(0, bob.ExitCode);
            Assert.DoesNotContain("worker", bob.Stdout, StringComparison.Ordinal);

            LauncherCall stop = await LauncherRunner.RunAsync(f, Apps.Verb(LauncherVerbs.AppStop, f.Alice.Name, job, stopSeconds: 0));

            Assert.True(stop.ExitCode == 0, stop.ToString());
            Assert.False(Path.Exists(folder), "app-stop leaves no session folder");
            Assert.NotEqual(0, (await CurlAsPortalAsync(socket, "/hosts")).ExitCode);
        }
        finally
        {
            await Apps.RemoveAsync(f, f.Alice, job);
        }

        Assert.False(Path.Exists(folder), "app-remove leaves no session folder");
        Assert.False(await Apps.PodExistsAsync(f.Alice, job));
    }

    [Fact]
    public async Task AppRemove_OfARunningApp_RemovesItsWebFrontsFolder()
    {
        string job = LauncherRunner.NewJob();
        string folder = Path.Combine(LauncherFixture.SessionsDir, job);
        var app = new AppSpec
        {
            Services =
            [
                new AppServiceSpec
                {
                    Name = "web",
                    Run = new RunSpec { Image = LauncherFixture.Image, Command = ["httpd", "-f", "-p", "127.0.0.1:8080"], Session = new SessionSpec { BridgePort = 8080 } },
                },
            ],
        };
        try
        {
            LauncherCall up = await LauncherRunner.RunAsync(f, Apps.Up(f.Alice.Name, job, app));
            Assert.True(up.ExitCode == 0, up.ToString());
            Assert.True(Directory.Exists(folder));

            LauncherCall remove = await LauncherRunner.RunAsync(f, Apps.Verb(LauncherVerbs.AppRemove, f.Alice.Name, job, stopSeconds: 0));

            Assert.True(remove.ExitCode == 0, remove.ToString());
            Assert.False(Path.Exists(folder), "app-remove leaves no session folder");
        }
        finally
        {
            await Apps.RemoveAsync(f, f.Alice, job);
        }
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
