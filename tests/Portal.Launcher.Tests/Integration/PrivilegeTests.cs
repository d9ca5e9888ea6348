using System.Globalization;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>What survives the privilege drop: only the user's ids, groups, the allow-listed environment and stdio.</summary>
[Collection(LauncherTestGroup.Name)]
public sealed class PrivilegeTests(LauncherFixture f)
{
    [Fact]
    public async Task ConmonAndJob_CarryTheUsersIdsInAllFourPositions_AndOnlyTheUsersGroups()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sleep", "300"]);
        var state = await Jobs.WaitForStateAsync(f, f.Alice, job, "running");
        string[] alicesGroups = (await Shell.CheckedAsync("/usr/bin/id", "-G", f.Alice.Name)).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

        foreach (int pid in new[] { state.ConmonPid!.Value, state.Pid!.Value })
        {
            Assert.Equal(Enumerable.Repeat(f.Alice.Uid.ToString(CultureInfo.InvariantCulture), 4), Jobs.StatusField(pid, "Uid"));
            Assert.Equal(Enumerable.Repeat(f.Alice.Gid.ToString(CultureInfo.InvariantCulture), 4), Jobs.StatusField(pid, "Gid"));
            Assert.All(Jobs.StatusField(pid, "Groups"), g => Assert.Contains(g, alicesGroups));
        }

        Assert.Equal(alicesGroups.Order(), Jobs.StatusField(state.ConmonPid!.Value, "Groups").Order());
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task InsideTheContainer_NoNewPrivsIsSet_AndNoCapabilityIsEffective()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sh", "-c", "grep -E '^(NoNewPrivs|CapEff|CapPrm|CapAmb):' /proc/self/status; echo done-status"]);

        string logs = await Jobs.WaitForLogAsync(f, f.Alice, job, "done-status");

        Assert.Matches(@"NoNewPrivs:\s+1", logs);
        Assert.Matches(@"CapEff:\s+0000000000000000", logs);
        Assert.Matches(@"CapPrm:\s+0000000000000000", logs);
        Assert.Matches(@"CapAmb:\s+0000000000000000", logs);
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task PodmansEnvironment_IsExactlyTheAllowList_EvenWhenTheCallerSetsHostileVariables()
    {
        var hostile = new Dictionary<string, string>
        {
            ["LD_PRELOAD"] = "/tmp/ptest-evil.so",
            ["PATH"] = "/tmp/ptest-evil-bin:/usr/bin:/bin",
            ["CONTAINERS_CONF"] = "/tmp/ptest-evil.conf",
            ["XDG_CONFIG_HOME"] = "/tmp/ptest-evil-config",
            ["XDG_RUNTIME_DIR"] = "/tmp",
            ["PORTAL_LAUNCHER_POLICY"] = "/tmp/ptest-evil-policy.json",
        };

        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.User("list", f.Alice.Name), hostile);

        Assert.True(call.ExitCode == 0, call.ToString());
        string start = Assert.Single(LauncherRunner.PodmanStarts(call));
        Dictionary<string, string> env = File.ReadAllText(start + ".env").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .ToDictionary(kv => kv[..kv.IndexOf('=', StringComparison.Ordinal)], kv => kv[(kv.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        string uid = f.Alice.Uid.ToString(CultureInfo.InvariantCulture);
        Assert.Equal(
            new Dictionary<string, string>
            {
                ["HOME"] = f.Alice.Home, ["USER"] = f.Alice.Name, ["LOGNAME"] = f.Alice.Name,
                ["PATH"] = "/usr/local/bin:/usr/bin:/bin", ["LANG"] = "C.UTF-8", ["XDG_RUNTIME_DIR"] = "/run/user/" + uid,
                ["CONTAINERS_CONF"] = LauncherFixture.PodmanConfigEnvironment["CONTAINERS_CONF"],
                ["CONTAINERS_STORAGE_CONF"] = LauncherFixture.PodmanConfigEnvironment["CONTAINERS_STORAGE_CONF"],
                ["CONTAINERS_REGISTRIES_CONF"] = LauncherFixture.PodmanConfigEnvironment["CONTAINERS_REGISTRIES_CONF"],
            },
            env);
    }

    [Fact]
    public async Task InheritedDescriptors_NeverReachPodman()
    {
        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.User("list", f.Alice.Name), inheritFdFrom: "/etc/hostname");

        Assert.True(call.ExitCode == 0, call.ToString());
        string start = Assert.Single(LauncherRunner.PodmanStarts(call));
        // 0-2 are stdio; 255 is the recording script's own file, opened by bash itself.
        Assert.Equal(["0", "1", "2", "255"], File.ReadAllLines(start + ".fds").Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task LogStreaming_ExecsPodmanWithTheSameCleanEnvironmentAndDescriptors()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["echo", "streamed"]);
        await Jobs.WaitForStateAsync(f, f.Alice, job, "exited");

        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.Logs(f.Alice.Name, job), new Dictionary<string, string> { ["LD_PRELOAD"] = "/tmp/ptest-evil.so" }, inheritFdFrom: "/etc/hostname");

        Assert.Contains("streamed", call.Stdout, StringComparison.Ordinal);
        string start = Assert.Single(LauncherRunner.PodmanStarts(call));
        Assert.Equal(["0", "1", "2", "255"], File.ReadAllLines(start + ".fds").Order(StringComparer.Ordinal));
        Assert.DoesNotContain("LD_PRELOAD", File.ReadAllText(start + ".env"), StringComparison.Ordinal);
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task ClosedStdoutAndStderr_NeverSendTheResultIntoAnotherFile()
    {
        ShellResult r = await Shell.RunAsync("/bin/bash", ["-c", "exec \"$0\" 1>&- 2>&-", f.LauncherPath], Requests.User("list", f.Alice.Name));

        // The runtime may open its own descriptor into the gap before Main; the launcher then exits 5
        // rather than guess where its output would go. Either way no file gets the result.
        Assert.True(r.ExitCode is 0 or 5, r.ToString());
        Assert.All(File.ReadAllLines(LauncherFixture.AuditLogPath), line => Assert.StartsWith("{\"time\":", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PolicyOverrideVariable_IsIgnoredWhenPrivileged()
    {
        LauncherCall call = await LauncherRunner.RunAsync(f, """{"version":1,"verb":"check"}""",
            new Dictionary<string, string> { ["PORTAL_LAUNCHER_POLICY"] = "/tmp/ptest-evil-policy.json" });

        Assert.True(call.ExitCode == 0, call.ToString());
        Assert.StartsWith(LauncherFixture.PolicyPath, call.Response!.Checks!.Single(c => c.Name == "policy").Detail, StringComparison.Ordinal);
    }
}
