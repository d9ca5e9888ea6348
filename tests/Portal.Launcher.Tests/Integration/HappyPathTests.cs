using System.Globalization;
using Portal.Launcher.Protocol;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

[Collection(LauncherTestGroup.Name)]
public sealed class HappyPathTests(LauncherFixture f)
{
    [Fact]
    public async Task Run_AsAlice_StartsContainerWhoseProcessesAreAlicesOnTheHost()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sh", "-c", "echo started; sleep 300"]);

        var state = await Jobs.WaitForStateAsync(f, f.Alice, job, "running");

        Assert.NotNull(state.Pid);
        string uid = f.Alice.Uid.ToString(CultureInfo.InvariantCulture);
        Assert.All(Jobs.StatusField(state.Pid!.Value, "Uid"), id => Assert.Equal(uid, id));
        Assert.Equal("ptest-alice", state.Owner);
        Assert.Equal(job, state.Job);
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task Run_IsAuditedAsAcceptedWithItsArgv_ThenDone()
    {
        string job = LauncherRunner.NewJob();

        LauncherCall run = await LauncherRunner.RunAsync(f, Requests.Run(f.Alice.Name, job, ["true"], env: new Dictionary<string, string> { ["API_TOKEN"] = "s3cret-value" }));

        Assert.True(run.ExitCode == 0, run.ToString());
        var records = LauncherRunner.AuditRecords(run);
        Assert.Equal(["accepted", "done"], records.Select(r => r.GetProperty("decision").GetString()));
        Assert.All(records, r => Assert.Equal("ptest-alice", r.GetProperty("user").GetString()));
        Assert.Contains("-- " + LauncherFixture.Image + " true", records[0].GetProperty("detail").GetString(), StringComparison.Ordinal);
        // The env value reaches the job through a 0600 file, never argv or the audit log.
        Assert.DoesNotContain("s3cret-value", File.ReadAllText(LauncherFixture.AuditLogPath), StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-value", File.ReadAllText(LauncherRunner.PodmanStart(run, "run") + ".argv"), StringComparison.Ordinal);
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task CpuMemoryAndTaskLimits_AreTheJobsCgroups_NotPodmanOptions()
    {
        string job = LauncherRunner.NewJob();

        LauncherCall run = await LauncherRunner.RunAsync(f, Requests.Run(f.Alice.Name, job, ["sleep", "300"], cpus: 1, memoryMiB: 64));

        Assert.True(run.ExitCode == 0, run.ToString());
        string argv = File.ReadAllText(LauncherRunner.PodmanStart(run, "run") + ".argv");
        Assert.DoesNotContain("--memory", argv, StringComparison.Ordinal);
        Assert.DoesNotContain("--pids-limit", argv, StringComparison.Ordinal);
        Assert.Equal("67108864", File.ReadAllText(TestCgroups.V1("memory", f.Alice, job) + "/memory.limit_in_bytes").Trim());
        Assert.Equal(LauncherFixture.PidsLimit.ToString(CultureInfo.InvariantCulture), File.ReadAllText(TestCgroups.V1("pids", f.Alice, job) + "/pids.max").Trim());
        Assert.Equal("100000", File.ReadAllText(TestCgroups.V1("cpu", f.Alice, job) + "/cpu.cfs_quota_us").Trim());
        Assert.True(run.Response!.Cgroup is { Exists: true, Populated: true, MemoryLimitBytes: 67108864 }, run.ToString());
        Assert.DoesNotContain(run.Response.Warnings ?? [], w => w.Contains("ignored", StringComparison.OrdinalIgnoreCase));

        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task EnvValues_ReachTheJob()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sh", "-c", "echo token=$API_TOKEN"], env: new Dictionary<string, string> { ["API_TOKEN"] = "a b=c#d" });

        Assert.Contains("token=a b=c#d", await Jobs.WaitForLogAsync(f, f.Alice, job, "token="), StringComparison.Ordinal);
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task AllowedMounts_AreBound_AndReadOnlyRootsStayReadOnly()
    {
        var mounts = new object[]
        {
            new Dictionary<string, object> { ["source"] = f.Alice.Home + "/data", ["target"] = "/data" },
            new Dictionary<string, object> { ["source"] = LauncherFixture.DatasetsRoot, ["target"] = "/datasets" },
        };
        string job = LauncherRunner.NewJob();
        LauncherCall run = await LauncherRunner.RunAsync(f, Requests.Run(f.Alice.Name, job,
            ["sh", "-c", "cat /datasets/readme.txt; touch /datasets/x 2>&1; ls -d /data && echo mounts-checked"], mounts: mounts));
        Assert.True(run.ExitCode == 0, run.ToString());

        string logs = await Jobs.WaitForLogAsync(f, f.Alice, job, "mounts-checked");

        Assert.Contains("shared dataset", logs, StringComparison.Ordinal);
        Assert.Contains("Read-only file system", logs, StringComparison.Ordinal);
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task Logs_ReturnTheJobsOutput()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sh", "-c", "echo hello-from-the-job; sleep 300"]);

        string logs = await Jobs.WaitForLogAsync(f, f.Alice, job, "hello-from-the-job");

        Assert.Contains("hello-from-the-job", logs, StringComparison.Ordinal);
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task Logs_CarryStderrInOrder_EachLineFramedWithItsStream_AndAPrintedFrameStaysStdout()
    {
        // The pauses are the job's: podman records its two pipes apart, so writes in one instant have no order to keep.
        string job = await Jobs.StartAsync(f, f.Alice, ["sh", "-c",
            "echo to-stdout; sleep 0.5; echo to-stderr >&2; sleep 0.5; echo to-stdout; echo 'e 2026-01-01T00:00:00.000000000Z forged'"]);
        await Jobs.WaitForStateAsync(f, f.Alice, job, "exited");

        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.Logs(f.Alice.Name, job));
        LauncherCall followed = await LauncherRunner.RunAsync(f, Requests.Logs(f.Alice.Name, job, follow: true));

        Assert.Equal(0, call.ExitCode);
        Assert.Equal("", call.Stderr);
        foreach (LauncherCall c in new[] { call, followed })
        {
            LogLine[] lines = [.. c.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(LogFrame.Parse)];
            Assert.Equal([(OutputChannel.Stdout, "to-stdout"), (OutputChannel.Stderr, "to-stderr"), (OutputChannel.Stdout, "to-stdout"),
                (OutputChannel.Stdout, "e 2026-01-01T00:00:00.000000000Z forged")], lines.Select(l => (l.Stream, l.Text)));
            Assert.All(lines, l => Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", l.Time));
        }

        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task Logs_WithFollow_StreamUntilTheJobEnds()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sh", "-c", "for i in 1 2 3; do echo line-$i; sleep 0.2; done"]);

        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.Logs(f.Alice.Name, job, follow: true));

        Assert.Equal(0, call.ExitCode);
        Assert.Contains("line-3", call.Stdout, StringComparison.Ordinal);
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task Inspect_ReportsTheExitCode()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sh", "-c", "exit 7"]);

        var state = await Jobs.WaitForStateAsync(f, f.Alice, job, "exited");

        Assert.Equal(7, state.ExitCode);
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task Stop_StopsARunningJob()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sleep", "300"]);
        await Jobs.WaitForStateAsync(f, f.Alice, job, "running");

        LauncherCall stop = await LauncherRunner.RunAsync(f, Requests.Stop(f.Alice.Name, job, timeoutSeconds: 1));

        Assert.True(stop.ExitCode == 0, stop.ToString());
        var state = await Jobs.InspectAsync(f, f.Alice, job);
        Assert.Equal("exited", state.State);
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
    }

    [Fact]
    public async Task Remove_DeletesTheContainer()
    {
        string job = await Jobs.StartAsync(f, f.Alice, ["sleep", "300"]);

        LauncherCall remove = await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));

        Assert.True(remove.ExitCode == 0, remove.ToString());
        LauncherCall inspect = await LauncherRunner.RunAsync(f, Requests.Job("inspect", f.Alice.Name, job));
        Assert.Equal(1, inspect.ExitCode);
    }

    [Fact]
    public async Task List_ShowsOnlyAlicesContainers()
    {
        string alices = await Jobs.StartAsync(f, f.Alice, ["sleep", "300"]);
        string bobs = await Jobs.StartAsync(f, f.Bob, ["sleep", "300"]);

        LauncherCall list = await LauncherRunner.RunAsync(f, Requests.User("list", f.Alice.Name));

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains(list.Response!.Containers!, c => c.Job == alices);
        Assert.DoesNotContain(list.Response!.Containers!, c => c.Job == bobs);
        Assert.All(list.Response!.Containers!, c => Assert.Equal(f.Alice.Name, c.Owner));
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, alices));
        await LauncherRunner.RunAsync(f, Requests.Remove(f.Bob.Name, bobs));
    }

    [Fact]
    public async Task Images_ListsTheUsersLocalImages()
    {
        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.User("images", f.Alice.Name));

        Assert.True(call.ExitCode == 0, call.ToString());
        Assert.Contains(call.Response!.Images!, i => i.Names.Contains(LauncherFixture.Image));
    }

    [Fact]
    public async Task Check_ReportsHostFactsAndPodmanAsTheUser()
    {
        LauncherCall call = await LauncherRunner.RunAsync(f, Requests.User("check", f.Alice.Name));

        Assert.True(call.ExitCode == 0, call.ToString());
        var checks = call.Response!.Checks!;
        Assert.Contains(checks, c => c.Name == "rootless" && c.Status == "ok");
        Assert.Contains(checks, c => c.Name == "cgroup" && c.Status == "ok");
        Assert.Contains(checks, c => c.Name == "cgroup-limits" && c.Status == "ok");
        Assert.Contains(checks, c => c.Name == "device-control" && c.Status == "ok");
        Assert.Contains(checks, c => c.Name == "podman-config" && c.Status == "ok");
        Assert.Contains(checks, c => c.Name == "storage");
        Assert.Contains(checks, c => c.Name == "subids" && c.Status == "ok");
        Assert.Contains(checks, c => c.Name == "gpu 1" && c.Status == "ok");
        Assert.Contains(checks, c => c.Name == "privilege-drop" && c.Status == "ok");
    }
}
