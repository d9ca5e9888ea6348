using System.Globalization;
using Portal.Launcher.Protocol;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// Each job runs in a root-owned cgroup of its own that the launcher made before podman started: podman, conmon and
/// every process of the job are in it, none can leave it, and its limits hold (real podman, cgroup v1 on the
/// development VM, plus its cgroup2 mount).
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class CgroupTests(LauncherFixture f)
{
    [Fact]
    public async Task ConmonAndTheJob_AreInTheJobsRootOwnedCgroup_InEveryHierarchy()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sleep", "300"]);
        try
        {
            var state = await Jobs.WaitForStateAsync(f, f.Alice, job, "running");

            foreach (string controller in new[] { "memory", "cpu", "cpuacct", "pids", "devices", "freezer" })
            {
                string dir = TestCgroups.V1(controller, f.Alice, job);
                Assert.Contains(state.ConmonPid!.Value, TestCgroups.Pids(dir));
                Assert.Contains(state.Pid!.Value, TestCgroups.Pids(dir));
                Assert.Equal(0u, TestCgroups.Owner(dir));
            }

            if (TestCgroups.Unified(f.Alice, job) is { } unified)
            {
                Assert.Contains(state.Pid!.Value, TestCgroups.Pids(unified));
            }
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task TheOwner_CanNeitherMoveAJobProcessOut_NorRaiseTheJobsLimits()
    {
        LauncherCall call = await Jobs.StartAsync(f, Requests.Run(f.Alice.Name, LauncherRunner.NewJob(), ["sleep", "300"], memoryMiB: 64));
        string job = call.Response!.ContainerName!["portal-job-".Length..];
        try
        {
            int pid = (await Jobs.WaitForStateAsync(f, f.Alice, job, "running")).Pid!.Value;
            string memory = TestCgroups.V1("memory", f.Alice, job);

            ShellResult moveOut = await Shell.AsUserAsync(f.Alice, "/bin/sh", "-c",
                $"echo {pid} > {TestCgroups.Host.V1["memory"]}/cgroup.procs; echo {pid} > {TestCgroups.UserDir(TestCgroups.Host.V1["memory"], f.Alice)}/calls/cgroup.procs");
            ShellResult raise = await Shell.AsUserAsync(f.Alice, "/bin/sh", "-c", $"echo -1 > {memory}/memory.limit_in_bytes");

            Assert.NotEqual(0, moveOut.ExitCode);
            Assert.Contains("Permission denied", moveOut.Stderr, StringComparison.Ordinal);
            Assert.NotEqual(0, raise.ExitCode);
            Assert.Contains(pid, TestCgroups.Pids(memory));
            Assert.Equal((64L << 20).ToString(CultureInfo.InvariantCulture), File.ReadAllText(memory + "/memory.limit_in_bytes").Trim());
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task AJobOverItsMemory_IsOomKilledInsideItsCgroup_AndAnotherUsersJobIsUntouched()
    {
        string bobs = await Jobs.StartAsync(f, f.Bob, ["sleep", "300"]);
        string job = LauncherRunner.NewJob();
        try
        {
            // dd's 200 MiB buffer, in a 64 MiB job.
            await Jobs.StartAsync(f, Requests.Run(f.Alice.Name, job, ["dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"], memoryMiB: 64));

            ContainerState ended = await Jobs.WaitForStateAsync(f, f.Alice, job, "exited");
            CgroupState cgroup = await Jobs.CgroupAsync(f, f.Alice, job);

            Assert.Equal(137, ended.ExitCode);
            Assert.True(cgroup.OomKills >= 1, cgroup.ToString());
            Assert.Equal(64L << 20, cgroup.MemoryLimitBytes);
            Assert.True(cgroup.PeakMemoryBytes <= 64L << 20, cgroup.ToString());
            Assert.Equal("running", (await Jobs.InspectAsync(f, f.Bob, bobs)).State);
            Assert.Equal(0, (await Jobs.CgroupAsync(f, f.Bob, bobs)).OomKills);
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Bob.Name, bobs));
        }
    }

    [Fact]
    public async Task HalfACpu_CapsTheJobNearHalfACore_AveragedOverTenSeconds()
    {
        string job = LauncherRunner.NewJob();
        try
        {
            // Two busy loops: without the quota they would take both of the machine's cores.
            await Jobs.StartAsync(f, Requests.Run(f.Alice.Name, job, ["sh", "-c", "(while :; do :; done) & (while :; do :; done) & wait"], cpus: 0.5));
            await Jobs.WaitForStateAsync(f, f.Alice, job, "running");
            string usage = TestCgroups.V1("cpuacct", f.Alice, job) + "/cpuacct.usage";

            long before = long.Parse(File.ReadAllText(usage), CultureInfo.InvariantCulture);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(10)); // the measurement window, not a wait for an event
            long after = long.Parse(File.ReadAllText(usage), CultureInfo.InvariantCulture);

            double cores = (after - before) / 1e9 / clock.Elapsed.TotalSeconds;
            Assert.True(cores <= 0.55, $"the job used {cores:F2} cores");
            Assert.Equal("50000", File.ReadAllText(TestCgroups.V1("cpu", f.Alice, job) + "/cpu.cfs_quota_us").Trim());
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task PidsLimit_StopsAForkStorm()
    {
        // The task limit is the policy's (a request carries none): a small one for this test.
        LauncherFixture.WritePolicy(manageDeviceAcls: true, pidsLimit: 32);
        string job = LauncherRunner.NewJob();
        try
        {
            await Jobs.StartAsync(f, Requests.Run(f.Alice.Name, job,
                ["sh", "-c", "exec 2>&1; i=0; while [ $i -lt 200 ]; do sleep 300 & i=$((i+1)); done; echo forked-all; sleep 300"]));

            string logs = await Jobs.WaitForLogAsync(f, f.Alice, job, "can't fork");

            Assert.DoesNotContain("forked-all", logs, StringComparison.Ordinal);
            string pids = TestCgroups.V1("pids", f.Alice, job);
            Assert.Equal("32", File.ReadAllText(pids + "/pids.max").Trim());
            Assert.True(long.Parse(File.ReadAllText(pids + "/pids.current"), CultureInfo.InvariantCulture) <= 32);
        }
        finally
        {
            LauncherFixture.WritePolicy(manageDeviceAcls: true);
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task TheFirstPodmanCallOfAUser_LeavesThePauseProcessInCalls_NotInTheJob()
    {
        // No pause process: the next podman call of Alice's makes one, and it stays where that call ran.
        string pauseFile = $"/run/user/{f.Alice.Uid}/libpod/tmp/pause.pid";
        int old = -1;
        if (File.Exists(pauseFile) && int.TryParse(File.ReadAllText(pauseFile).Trim(), out old))
        {
            await Shell.RunAsync("/bin/kill", ["-KILL", old.ToString(CultureInfo.InvariantCulture)]);
        }

        string job = await Jobs.StartAsync(f, f.Alice, ["sleep", "300"]);
        try
        {
            var state = await Jobs.WaitForStateAsync(f, f.Alice, job, "running");
            int pause = int.Parse(File.ReadAllText(pauseFile).Trim(), CultureInfo.InvariantCulture);

            Assert.NotEqual(old, pause);
            string calls = TestCgroups.UserDir("", f.Alice)[1..] + "/calls";
            Assert.EndsWith(calls, TestCgroups.CgroupOf(pause, "memory"), StringComparison.Ordinal);
            Assert.DoesNotContain(pause, TestCgroups.Pids(TestCgroups.V1("memory", f.Alice, job)));
            Assert.Equal(new[] { state.ConmonPid!.Value, state.Pid!.Value }.Order(), TestCgroups.Pids(TestCgroups.V1("memory", f.Alice, job)).Order());
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task Remove_LeavesNoCgroupOfTheJob_AndRelease_ReturnsTheFinalAccountingFirst()
    {
        string removed = await Jobs.StartAsync(f, f.Alice, ["sleep", "300"]);
        string released = await Jobs.StartAsync(f, f.Alice, ["true"]);
        await Jobs.WaitForStateAsync(f, f.Alice, released, "exited");

        LauncherCall remove = await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, removed));
        LauncherCall release = await LauncherRunner.RunAsync(f, Requests.Job("release", f.Alice.Name, released));

        Assert.True(remove.ExitCode == 0 && release.ExitCode == 0, remove + "\n" + release);
        Assert.False(remove.Response!.Cgroup!.Populated);
        Assert.True(release.Response!.Cgroup is { Exists: true, Populated: false, CpuSeconds: > 0 }, release.ToString());
        foreach (string root in TestCgroups.Roots)
        {
            Assert.False(Directory.Exists(TestCgroups.JobDir(root, f.Alice, removed)), root);
            Assert.False(Directory.Exists(TestCgroups.JobDir(root, f.Alice, released)), root);
        }

        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, released));
    }
}
