using System.Diagnostics;
using System.Globalization;
using Portal.Launcher.Cgroups;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// What the launcher says about a job comes from the kernel: a hidden or locked podman database, or a process podman
/// lost track of, changes nothing. Every podman call has a deadline.
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class KernelTruthTests(LauncherFixture f)
{
    private string Database => Path.Combine(f.Alice.Home, ".local/share/containers/storage/libpod/bolt_state.db");

    [Fact]
    public async Task AHiddenPodmanDatabase_InspectAndListStillSayTheJobRuns_AndStopEndsIt()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sleep", "300"]);
        int pid = (await Jobs.WaitForStateAsync(f, f.Alice, job, "running")).Pid!.Value;
        File.Move(Database, Database + ".ptest-hidden");
        try
        {
            LauncherCall inspect = await LauncherRunner.RunAsync(f, Requests.Job("inspect", f.Alice.Name, job));
            LauncherCall list = await LauncherRunner.RunAsync(f, Requests.User("list", f.Alice.Name));
            LauncherCall stop = await LauncherRunner.RunAsync(f, Requests.Stop(f.Alice.Name, job, 1));

            Assert.Equal(1, inspect.ExitCode);
            Assert.True(inspect.Response!.Cgroup!.Populated, inspect.ToString());
            Assert.DoesNotContain(list.Response!.Containers ?? [], c => c.Job == job);
            Assert.True(Assert.Single(list.Response!.Cgroups!, c => c.Job == job).Populated, list.ToString());
            Assert.True(stop.ExitCode == 0, stop.ToString());
            Assert.False(stop.Response!.Cgroup!.Populated);
            Assert.False(File.Exists($"/proc/{pid}/cmdline") && File.ReadAllText($"/proc/{pid}/cmdline").Length > 0, "the job's process still runs");
        }
        finally
        {
            File.Move(Database + ".ptest-hidden", Database, overwrite: true);
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task ALockedPodmanDatabase_HoldsNoCallPastTheDeadline_AndStopStillEndsTheJob()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sleep", "300"]);
        await Jobs.WaitForStateAsync(f, f.Alice, job, "running");
        LauncherFixture.WritePolicy(manageDeviceAcls: true, podmanTimeoutSeconds: 3);
        using Process locker = await LockDatabaseAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            LauncherCall list = await LauncherRunner.RunAsync(f, Requests.User("list", f.Alice.Name));
            LauncherCall inspect = await LauncherRunner.RunAsync(f, Requests.Job("inspect", f.Alice.Name, job));
            LauncherCall stop = await LauncherRunner.RunAsync(f, Requests.Stop(f.Alice.Name, job, 1));
            TimeSpan took = clock.Elapsed;

            Assert.Equal(6, list.ExitCode);
            Assert.Contains("did not finish within 3 s", list.Response!.Error, StringComparison.Ordinal);
            Assert.True(Assert.Single(list.Response!.Cgroups!, c => c.Job == job).Populated);
            Assert.Equal(6, inspect.ExitCode);
            Assert.True(inspect.Response!.Cgroup!.Populated);
            Assert.True(stop.ExitCode == 0, stop.ToString());
            Assert.False(stop.Response!.Cgroup!.Populated);
            Assert.Contains(stop.Response!.Warnings!, w => w.Contains("podman stop did not finish", StringComparison.Ordinal));

            // 3 s for list, 3 s for inspect, 1 + 3 s for stop, and the launcher's own work.
            Assert.True(took < TimeSpan.FromSeconds(25), $"took {took}");
        }
        finally
        {
            locker.Kill(entireProcessTree: true);
            LauncherFixture.WritePolicy(manageDeviceAcls: true);
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task ARunPastTheDeadline_IsKilled_AndLeavesNoCgroup()
    {
        string job = LauncherRunner.NewJob();
        LauncherFixture.WritePolicy(manageDeviceAcls: true, podmanTimeoutSeconds: 3);
        using Process locker = await LockDatabaseAsync();
        try
        {
            LauncherCall run = await LauncherRunner.RunAsync(f, Requests.Run(f.Alice.Name, job, ["sleep", "300"]));

            Assert.Equal(6, run.ExitCode);
            Assert.Contains("podman run did not finish within 3 s", run.Response!.Error, StringComparison.Ordinal);
            Assert.All(TestCgroups.Roots, root => Assert.False(Directory.Exists(TestCgroups.JobDir(root, f.Alice, job)), root));
        }
        finally
        {
            locker.Kill(entireProcessTree: true);
            LauncherFixture.WritePolicy(manageDeviceAcls: true);
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task Stop_KillsWhatPodmanLeavesInTheJobsCgroup()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sleep", "300"]);
        await Jobs.WaitForStateAsync(f, f.Alice, job, "running");

        // A process of Alice's that podman knows nothing of, in the job's cgroups (as one conmon or a runtime could leave).
        using Process stray = StartAsAlice("sleep", "300");
        foreach (string root in TestCgroups.Roots)
        {
            File.WriteAllText(TestCgroups.JobDir(root, f.Alice, job) + "/cgroup.procs", stray.Id.ToString(CultureInfo.InvariantCulture));
        }

        try
        {
            LauncherCall stop = await LauncherRunner.RunAsync(f, Requests.Stop(f.Alice.Name, job, 1));

            Assert.True(stop.ExitCode == 0, stop.ToString());
            Assert.False(stop.Response!.Cgroup!.Populated);
            Assert.True(stray.WaitForExit(TimeSpan.FromSeconds(10)), "the stray process survived the stop");
        }
        finally
        {
            if (!stray.HasExited)
            {
                stray.Kill();
            }

            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task TheV1Freezer_KillsEveryProcessOfACgroup_ProcessesOfOtherUidsIncluded()
    {
        string freezer = TestCgroups.Host.V1["freezer"] + "/" + LauncherFixture.CgroupParent + "/freezer-probe";
        Directory.CreateDirectory(freezer);
        List<Process> processes = [StartAsAlice("sleep", "300"), StartAsAlice("sh", "-c", "sleep 300 & sleep 300"), StartAs(f.Bob, "sleep", "300")];
        try
        {
            foreach (Process p in processes)
            {
                File.WriteAllText(freezer + "/cgroup.procs", p.Id.ToString(CultureInfo.InvariantCulture));
            }

            JobCgroup.FreezeKillThaw(freezer);

            await Wait.UntilAsync(() => Task.FromResult(TestCgroups.Pids(freezer).Count), n => n == 0, TimeSpan.FromSeconds(10), "the frozen cgroup to empty");
            Assert.Equal("THAWED", File.ReadAllText(freezer + "/freezer.state").Trim());
        }
        finally
        {
            foreach (Process p in processes.Where(p => !p.HasExited))
            {
                p.Kill(entireProcessTree: true);
            }

            await Wait.UntilAsync(() => Task.FromResult(TestCgroups.Pids(freezer).Count), n => n == 0, TimeSpan.FromSeconds(10), "the probe cgroup to empty");
            Directory.Delete(freezer);
        }
    }

    [Fact]
    public async Task AProcessThatDaemonizesInsideTheContainer_EndsWithTheJob()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sh", "-c", "setsid sh -c 'sleep 1000' & echo daemonized; sleep 1000"]);
        await Jobs.WaitForLogAsync(f, f.Alice, job, "daemonized");

        LauncherCall stop = await LauncherRunner.RunAsync(f, Requests.Stop(f.Alice.Name, job, 1));

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.False(stop.Response!.Cgroup!.Populated);
        Assert.All(TestCgroups.Roots, root => Assert.Empty(TestCgroups.Pids(TestCgroups.JobDir(root, f.Alice, job))));
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task AfterARevoke_AProcessOfTheOwnerStillHoldingTheNode_IsKilled_AndNoOtherProcess()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sleep", "300"], gpus: [LauncherFixture.OpenableGpu]);
        // The GPU's node, or where the host refuses opening nodes made with mknod, the real device with its numbers
        // (/dev/fuse): the launcher looks for the device, whatever path it was opened by.
        string node = f.HandMadeNodesOpen ? LauncherFixture.GpuDir + "/nvidia2" : DeviceProbe.OpenableGpuNode;
        using Process holder = StartAsAlice("sh", "-c", "exec 3<" + node + "; exec sleep 300");
        using Process bystander = StartAsAlice("sleep", "300");
        try
        {
            await Wait.UntilAsync(() => Task.FromResult(HoldsNode(holder.Id, node)), held => held, TimeSpan.FromSeconds(10), "the holder to open the node");

            LauncherCall stop = await LauncherRunner.RunAsync(f, Requests.Stop(f.Alice.Name, job, 1));

            Assert.True(stop.ExitCode == 0, stop.ToString());
            Assert.True(holder.WaitForExit(TimeSpan.FromSeconds(10)), "the process holding the revoked node survived");
            Assert.False(bystander.HasExited);
            Assert.Contains(LauncherRunner.AuditRecords(stop), r => r.GetProperty("detail").GetString()!.Contains("still holding", StringComparison.Ordinal));
        }
        finally
        {
            foreach (Process p in new[] { holder, bystander }.Where(p => !p.HasExited))
            {
                p.Kill();
            }

            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    private static bool HoldsNode(int pid, string node) =>
        Directory.EnumerateFiles($"/proc/{pid}/fd").Any(fd => new FileInfo(fd).LinkTarget == node);

    /// <summary>Holds an exclusive lock on Alice's podman database (as Alice) until killed.</summary>
    private async Task<Process> LockDatabaseAsync()
    {
        Process locker = StartAsAlice("flock", "-x", Database, "sleep", "120");
        await Wait.UntilAsync(
            async () => (await Shell.RunAsync("/usr/bin/flock", ["-n", "-x", Database, "true"])).ExitCode,
            code => code != 0, TimeSpan.FromSeconds(10), "the database to be locked");
        return locker;
    }

    private Process StartAsAlice(params string[] command) => StartAs(f.Alice, command);

    private static Process StartAs(TestUser user, params string[] command)
    {
        var psi = new ProcessStartInfo("/usr/bin/setpriv") { UseShellExecute = false, WorkingDirectory = "/" };
        foreach (string arg in new[] { "--reuid", user.Uid.ToString(CultureInfo.InvariantCulture), "--regid", user.Gid.ToString(CultureInfo.InvariantCulture), "--init-groups", "--" }.Concat(command))
        {
            psi.ArgumentList.Add(arg);
        }

        return Process.Start(psi)!;
    }
}
