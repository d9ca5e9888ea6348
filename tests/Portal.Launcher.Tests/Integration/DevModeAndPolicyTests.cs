using System.Globalization;
using System.Text.Json;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// Without privileges the launcher acts only as its caller; with them it trusts only a policy file
/// that nobody but root can change.
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class DevModeAndPolicyTests(LauncherFixture f)
{
    [Fact]
    public async Task DevMode_ActsAsTheCaller()
    {
        string policy = await WriteDevPolicyAsync(f);

        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.User("list", f.Alice.Name), DevEnv(policy), asUser: f.Alice);

        Assert.True(call.ExitCode == 0, call.ToString());
        Assert.Contains("\"mode\":\"dev\"", File.ReadAllText(Path.Combine(Path.GetDirectoryName(policy)!, "audit.log")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task DevMode_ActingAsAnotherUser_IsRefused()
    {
        string policy = await WriteDevPolicyAsync(f);

        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.User("list", f.Bob.Name), DevEnv(policy), asUser: f.Alice);

        Assert.Equal(2, call.ExitCode);
        Assert.Contains("acts only as its caller", call.Response!.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DevMode_APolicyWritableByOthers_IsRefused()
    {
        string policy = await WriteDevPolicyAsync(f);
        File.SetUnixFileMode(policy, (UnixFileMode)0b110_110_110);

        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.User("list", f.Alice.Name), DevEnv(policy), asUser: f.Alice);

        Assert.Equal(3, call.ExitCode);
        Assert.Contains("writable by group or others", call.Response!.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Privileged_APolicyWritableByItsGroup_IsRefused()
    {
        File.SetUnixFileMode(LauncherFixture.PolicyPath, (UnixFileMode)0b110_110_100);
        try
        {
            LauncherCall call = await LauncherRunner.RunAsync(f, Requests.User("list", f.Alice.Name));

            Assert.Equal(3, call.ExitCode);
            Assert.Empty(LauncherRunner.PodmanStarts(call));
        }
        finally
        {
            File.SetUnixFileMode(LauncherFixture.PolicyPath, (UnixFileMode)0b110_100_100);
        }
    }

    [Fact]
    public async Task Privileged_APolicyOwnedByAUser_IsRefused()
    {
        await Shell.CheckedAsync("/usr/bin/chown", f.Alice.Name, LauncherFixture.PolicyPath);
        try
        {
            LauncherCall call = await LauncherRunner.RunAsync(f, Requests.User("list", f.Alice.Name));

            Assert.Equal(3, call.ExitCode);
            Assert.Contains("owned by uid", call.Response!.Error, StringComparison.Ordinal);
        }
        finally
        {
            await Shell.CheckedAsync("/usr/bin/chown", "root", LauncherFixture.PolicyPath);
        }
    }

    [Fact]
    public async Task Privileged_APolicyThatIsASymlink_IsRefused()
    {
        string real = LauncherFixture.PolicyPath + ".real";
        File.Move(LauncherFixture.PolicyPath, real);
        File.CreateSymbolicLink(LauncherFixture.PolicyPath, real);
        try
        {
            LauncherCall call = await LauncherRunner.RunAsync(f, Requests.User("list", f.Alice.Name));

            Assert.Equal(3, call.ExitCode);
            Assert.Contains("symlink", call.Response!.Error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(LauncherFixture.PolicyPath);
            File.Move(real, LauncherFixture.PolicyPath);
        }
    }

    [Fact]
    public async Task Privileged_APodmanWritableByItsGroup_IsNeverRun_AndCheckSaysWhy()
    {
        var mode = File.GetUnixFileMode(LauncherFixture.ShimPath);
        File.SetUnixFileMode(LauncherFixture.ShimPath, mode | UnixFileMode.GroupWrite);
        try
        {
            LauncherCall run = await LauncherRunner.RunAsync(f, Requests.Run(f.Alice.Name, LauncherRunner.NewJob(), ["true"]));
            LauncherCall check = await LauncherRunner.RunAsync(f, Requests.User("check", f.Alice.Name));

            Assert.Equal(3, run.ExitCode);
            Assert.Contains("Launcher policy unusable", run.Response!.Error, StringComparison.Ordinal);
            Assert.Empty(LauncherRunner.PodmanStarts(run));
            Assert.True(check.ExitCode == 0, check.ToString());
            var podman = Assert.Single(check.Response!.Checks!, c => c.Name == "podman");
            Assert.Equal("fail", podman.Status);
            Assert.Empty(LauncherRunner.PodmanStarts(check));
        }
        finally
        {
            File.SetUnixFileMode(LauncherFixture.ShimPath, mode);
        }
    }

    [Fact]
    public async Task Privileged_APodmanOwnedByAUser_IsNeverRun()
    {
        await Shell.CheckedAsync("/usr/bin/chown", f.Alice.Name, LauncherFixture.ShimPath);
        try
        {
            LauncherCall call = await LauncherRunner.RunAsync(f, Requests.User("list", f.Alice.Name));

            Assert.Equal(3, call.ExitCode);
            Assert.Contains("owned by uid", call.Response!.Error, StringComparison.Ordinal);
            Assert.Empty(LauncherRunner.PodmanStarts(call));
        }
        finally
        {
            await Shell.CheckedAsync("/usr/bin/chown", "root", LauncherFixture.ShimPath);
        }
    }

    [Fact]
    public async Task Privileged_TheAuditLog_IsRootsAndNotReadableByOthers()
    {
        await LauncherRunner.RunAsync(f, Requests.User("list", f.Alice.Name));

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(LauncherFixture.AuditLogPath));
        ShellResult append = await Shell.AsUserAsync(f.Alice, "/bin/sh", "-c", "echo forged >> " + LauncherFixture.AuditLogPath);
        Assert.NotEqual(0, append.ExitCode);
    }

    internal static Dictionary<string, string> DevEnv(string policy) => new() { ["PORTAL_LAUNCHER_POLICY"] = policy };

    /// <summary>A policy the user owns, as a developer would have in dev mode.</summary>
    internal static async Task<string> WriteDevPolicyAsync(LauncherFixture f)
    {
        string dir = Path.Combine(f.Alice.Home, ".portal-dev");
        Directory.CreateDirectory(dir);
        string policy = Path.Combine(dir, "launcher.json");
        var json = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(LauncherFixture.PolicyPath))!;
        var dev = json.ToDictionary(kv => kv.Key, kv => (object)kv.Value);
        dev["auditLog"] = Path.Combine(dir, "audit.log");
        dev["podman"] = "/usr/bin/podman";
        dev["manageDeviceAcls"] = false;
        dev["stateDir"] = Path.Combine(dir, "state");
        File.WriteAllText(policy, JsonSerializer.Serialize(dev));
        File.SetUnixFileMode(policy, (UnixFileMode)0b110_100_100);
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_101_101);
        await Shell.CheckedAsync("/usr/bin/chown", "-R", f.Alice.Uid.ToString(CultureInfo.InvariantCulture) + ":" + f.Alice.Gid.ToString(CultureInfo.InvariantCulture), dir);
        return policy;
    }
}
