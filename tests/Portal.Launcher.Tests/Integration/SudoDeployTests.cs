using System.Globalization;
using Portal.Launcher.Protocol;
using Portal.Launcher.Tests.Infrastructure;
using Portal.Tests.Cleanup;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// deploy/install-launcher.sh and deploy/sudoers.d/portal-launcher, installed for a throwaway
/// service user: that user reaches the launcher through sudo -n exactly as the portal does, and
/// nothing else (no arguments, no environment, no other target user).
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class SudoDeployTests(LauncherFixture f) : IAsyncLifetime
{
    private const string ServiceUser = "ptest-svc";
    private const string Dir = LauncherFixture.Root + "/libexec";
    private const string Installed = Dir + "/portal-launcher";
    private const string Sudoers = "/etc/sudoers.d/ptest-portal-launcher";

    private TestUser _svc = null!;

    public async Task InitializeAsync()
    {
        if ((await Shell.RunAsync("/usr/bin/id", ["-u", ServiceUser])).ExitCode != 0)
        {
            await Shell.CheckedAsync("/usr/sbin/useradd", "--system", "--create-home", "--shell", "/usr/sbin/nologin", ServiceUser);
        }

        string uid = (await Shell.CheckedAsync("/usr/bin/id", "-u", ServiceUser)).Trim();
        string gid = (await Shell.CheckedAsync("/usr/bin/id", "-g", ServiceUser)).Trim();
        _svc = new TestUser(ServiceUser, uint.Parse(uid, CultureInfo.InvariantCulture), uint.Parse(gid, CultureInfo.InvariantCulture), "/home/" + ServiceUser);
        ShellResult install = await InstallAsync();
        Assert.True(install.ExitCode == 0, install.ToString());
    }

    /// <summary>The sudo rule above all: left behind, it would let a stale test account run the launcher as root.</summary>
    public async Task DisposeAsync()
    {
        File.Delete(Sudoers);
        if (Directory.Exists(Dir))
        {
            Directory.Delete(Dir, recursive: true);
        }

        await ThrowawayAccounts.RemoveAsync(ServiceUser);
    }

    [Fact]
    public async Task TheInstallScript_IsIdempotent_AndLeavesARootOwned0755Launcher()
    {
        ShellResult again = await InstallAsync();

        Assert.True(again.ExitCode == 0, again.ToString());
        string stat = (await Shell.CheckedAsync("/usr/bin/stat", "-c", "%U:%G %a", Installed, Dir, Sudoers)).Trim();
        Assert.Equal(["root:root 755", "root:root 755", "root:root 440"], stat.Split('\n'));
    }

    [Fact]
    public async Task TheServiceUser_ReachesTheLauncherAsRoot_ThroughSudoN()
    {
        ShellResult r = await AsServiceUserAsync(Requests.User("list", f.Alice.Name), "/usr/bin/sudo", "-n", Installed);

        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("\"ok\":true", r.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("an argument", new[] { "/usr/bin/sudo", "-n", Installed, "--verbose" })]
    [InlineData("an environment variable", new[] { "/usr/bin/sudo", "-n", "PORTAL_LAUNCHER_POLICY=/tmp/evil.json", Installed })]
    [InlineData("preserved environment", new[] { "/usr/bin/sudo", "-n", "-E", Installed })]
    [InlineData("another target user", new[] { "/usr/bin/sudo", "-n", "-u", "ptest-alice", Installed })]
    [InlineData("another program", new[] { "/usr/bin/sudo", "-n", "/usr/bin/podman", "ps" })]
    [InlineData("a shell", new[] { "/usr/bin/sudo", "-n", "-s" })]
    public async Task SudoRefuses_AnythingButTheExactCommand(string what, string[] argv)
    {
        ShellResult r = await AsServiceUserAsync(Requests.User("list", f.Alice.Name), argv);

        Assert.True(r.ExitCode != 0, $"{what}: {r}");
        Assert.Contains("sudo", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("\"ok\":true", r.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFollowedStream_ThroughSudo_EndsWhenTheServiceUserClosesStdin_ThoughItCannotSignalIt()
    {
        string job = LauncherRunner.NewJob();
        LauncherCall run = await LauncherRunner.RunAsync(f, Requests.Run(f.Alice.Name, job, ["sh", "-c", "echo ready; exec sleep 600"]));
        Assert.True(run.ExitCode == 0, run.ToString());
        try
        {
            // setpriv, env and sudo each exec: the pid is the launcher's, and then podman's parent.
            using HeldStdin stream = await HeldStdin.StartAsync(Requests.Logs(f.Alice.Name, job, follow: true, untilStdinCloses: true), "/usr/bin/setpriv",
                [.. AsServiceUser, "/usr/bin/sudo", "-n", Installed]);
            Assert.Equal("ready", LogFrame.Parse(await stream.ReadLineAsync(TimeSpan.FromSeconds(30)) ?? "").Text);

            // The launcher is root's, then alice's: no signal of the service user's reaches it.
            ShellResult signal = await Shell.RunAsync("/usr/bin/setpriv", [.. AsServiceUser, "/bin/bash", "-c", "kill -0 \"$0\"", stream.Pid.ToString(CultureInfo.InvariantCulture)], clearEnv: true);
            Assert.True(signal.ExitCode != 0, "the service user could signal the launcher: " + signal);

            stream.CloseStdin();

            Assert.True(await stream.ExitsWithinAsync(TimeSpan.FromSeconds(15)), "the launcher still runs after the service user closed stdin");
            await Wait.UntilAsync(() => Task.FromResult(Procs.Find(f.Alice.Uid, "logs --timestamps --follow -- portal-job-" + job).Count),
                n => n == 0, TimeSpan.FromSeconds(15), "podman logs --follow to end");
            Assert.Contains(LogStreamEndTests.AuditDetails(stream), d => d == "caller hung up; podman logs ended");
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    private async Task<ShellResult> InstallAsync()
    {
        string repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "Portal.sln")))
        {
            repo = Path.GetDirectoryName(repo)!;
        }

        return await Shell.RunAsync("/bin/sh", [Path.Combine(repo, "deploy/install-launcher.sh"), f.LauncherPath], env: new Dictionary<string, string>
        {
            ["PORTAL_USER"] = ServiceUser,
            ["PORTAL_GROUP"] = LauncherFixture.Group,
            ["LAUNCHER_DIR"] = Dir,
            ["SUDOERS_FILE"] = Sudoers,
            ["POLICY_FILE"] = LauncherFixture.PolicyPath,
            ["AUDIT_DIR"] = Path.GetDirectoryName(LauncherFixture.AuditLogPath)!,
        });
    }

    /// <summary>setpriv's arguments that make the rest of the command line run as the service user, with a bare environment.</summary>
    private string[] AsServiceUser => ["--reuid", _svc.Uid.ToString(CultureInfo.InvariantCulture), "--regid", _svc.Gid.ToString(CultureInfo.InvariantCulture),
        "--init-groups", "--", "/usr/bin/env", "-i", "PATH=/usr/bin:/bin", "HOME=/"];

    private Task<ShellResult> AsServiceUserAsync(string stdin, params string[] argv) =>
        Shell.RunAsync("/usr/bin/setpriv", [.. AsServiceUser, .. argv], stdin, clearEnv: true);
}
