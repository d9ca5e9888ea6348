using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Slurm.Tests.Infrastructure;

namespace Portal.Slurm.Tests.Launcher;

/// <summary>The launcher's Slurm verbs against the real local cluster, as the portal calls them.</summary>
[Collection(SlurmHostGroup.Name)]
public sealed class SlurmVerbTests(SlurmHost host) : IAsyncLifetime
{
    private readonly SubmittedJobs _jobs = new(host);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _jobs.CancelAllAsync();

    private Task<long> SubmitAsync(SlurmTestUser user, string job, RunSpec spec, int gpus = 0) => _jobs.SubmitAsync(user, job, spec, gpus);

    private static string NewJob() => "s" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>A container that says it started and then sleeps for a time no other test's container sleeps: its
    /// <c>sleep</c> process is found on the host by that number.</summary>
    private static RunSpec Sleeper(string marker) =>
        new() { Image = SlurmHost.Image, Command = ["sh", "-c", $"echo started {marker}; echo CUDA=$CUDA_VISIBLE_DEVICES; exec sleep {SleepOf(marker)}"], MemoryMiB = 200 };

    private static string SleepOf(string marker) =>
        (600_000 + (uint)marker.GetHashCode(StringComparison.Ordinal) % 100_000).ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task ASubmittedJob_RunsAsItsOwnersUid_InsideTheAllocation_AndItsLogIsTheContainersOutput()
    {
        var job = NewJob();

        var id = await SubmitAsync(host.Alice, job, Sleeper(job), gpus: 2);
        var row = await SlurmJobs.WaitForStateAsync(id, "RUNNING");
        var lines = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var line in host.Launcher.StreamLogAsync(host.Alice.Name, job, id, new LogsSpec { Follow = true }, cts.Token))
        {
            lines.Add(line);
            if (line.StartsWith("CUDA=", StringComparison.Ordinal))
            {
                break;
            }
        }

        Assert.Equal((host.Alice.Uid, "portal-" + job), (row.Uid, row.Name));
        Assert.Equal(["started " + job, "CUDA=0,1"], lines);
        // The container's process (rootless: root inside, the owner's uid outside) on the host.
        Assert.NotEmpty(SlurmJobs.ProcessesOf(host.Alice.Uid, "sleep " + SleepOf(job)));
    }

    [Fact]
    public async Task AThirdGpuJob_PendsForResources_WhileTwoHoldBothGpus()
    {
        var first = await SubmitAsync(host.Alice, NewJob(), Sleeper("one"), gpus: 1);
        var second = await SubmitAsync(host.Bob, NewJob(), Sleeper("two"), gpus: 1);
        await SlurmJobs.WaitForStateAsync(first, "RUNNING");
        await SlurmJobs.WaitForStateAsync(second, "RUNNING");

        var third = await SubmitAsync(host.Alice, NewJob(), Sleeper("three"), gpus: 1);

        await LocalSlurmCluster.WaitForAsync(async () => (await SlurmJobs.ReadAsync(third))?.Reason == "Resources", TimeSpan.FromSeconds(30), "the third job to pend for Resources");
        Assert.Equal("PENDING", (await SlurmJobs.ReadAsync(third))!.State);
    }

    [Fact]
    public async Task AnotherUser_CannotCancelTheJob_AndItsOwnerCan()
    {
        var job = NewJob();
        var id = await SubmitAsync(host.Alice, job, Sleeper(job));
        await SlurmJobs.WaitForStateAsync(id, "RUNNING");

        var refused = await Assert.ThrowsAsync<LauncherException>(() => host.Launcher.CancelAsync(host.Bob.Name, job, id));
        Assert.Equal(LauncherFailure.Refused, refused.Failure);
        Assert.Contains($"of uid {host.Alice.Uid}", refused.Message, StringComparison.Ordinal);
        Assert.Equal("RUNNING", (await SlurmJobs.ReadAsync(id))!.State);

        await host.Launcher.CancelAsync(host.Alice.Name, job, id);

        await SlurmJobs.WaitForStateAsync(id, "CANCELLED");
        await LocalSlurmCluster.WaitForAsync(() => Task.FromResult(SlurmJobs.ProcessesOf(host.Alice.Uid, "sleep " + SleepOf(job)).Count == 0),
            TimeSpan.FromSeconds(60), "the container to end");
    }

    [Fact]
    public async Task ACancel_NamingAnotherPortalJobOfTheSameUser_IsRefused()
    {
        var job = NewJob();
        var id = await SubmitAsync(host.Alice, job, Sleeper(job));

        var refused = await Assert.ThrowsAsync<LauncherException>(() => host.Launcher.CancelAsync(host.Alice.Name, "other", id));

        Assert.Equal(LauncherFailure.Refused, refused.Failure);
        Assert.NotEqual("CANCELLED", (await SlurmJobs.ReadAsync(id))!.State);
    }

    [Fact]
    public async Task TheJobsEnvironment_ReachesTheContainer_ButNeverAnArgvOrTheQueue()
    {
        var job = NewJob();
        var secret = "s3cret-" + Guid.NewGuid().ToString("N");
        var spec = new RunSpec
        {
            Image = SlurmHost.Image, Command = ["sh", "-c", "echo token=$TOKEN; exec sleep " + SleepOf(job)], MemoryMiB = 200,
            Env = new Dictionary<string, string> { ["TOKEN"] = secret },
        };

        var id = await SubmitAsync(host.Alice, job, spec);
        await SlurmJobs.WaitForStateAsync(id, "RUNNING");
        var firstLine = "";
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await foreach (var line in host.Launcher.StreamLogAsync(host.Alice.Name, job, id, new LogsSpec { Follow = true }, cts.Token))
        {
            firstLine = line;
            break;
        }

        var details = await LocalSlurmCluster.RunAsync("/usr/bin/scontrol", "show", "job", "--details", "--oneliner", id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("token=" + secret, firstLine);
        Assert.DoesNotContain(secret, details.Stdout, StringComparison.Ordinal);
        Assert.False(SlurmJobs.AnyProcessShows(secret));
        // The batch script deleted the environment file when it started.
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(host.Alice.Home, ".portal/slurm"), "*.env"));
    }

    [Fact]
    public async Task CancellingAPendingJob_DeletesItsEnvironmentFile()
    {
        var job = NewJob();
        var spec = new RunSpec { Image = SlurmHost.Image, Command = ["true"], Env = new Dictionary<string, string> { ["A"] = "b" } };
        // More GPUs than the node has would be refused; a hold keeps it pending instead: ask for both GPUs twice.
        var holder = await SubmitAsync(host.Bob, NewJob(), Sleeper("holder"), gpus: 2);
        await SlurmJobs.WaitForStateAsync(holder, "RUNNING");
        var id = await SubmitAsync(host.Alice, job, spec, gpus: 2);
        await SlurmJobs.WaitForStateAsync(id, "PENDING");
        Assert.Single(Directory.EnumerateFiles(Path.Combine(host.Alice.Home, ".portal/slurm"), $"portal-{job}-*.env"));

        await host.Launcher.CancelAsync(host.Alice.Name, job, id);

        Assert.Empty(Directory.EnumerateFiles(Path.Combine(host.Alice.Home, ".portal/slurm"), $"portal-{job}-*.env"));
    }

    [Fact]
    public async Task ARequestSlurmRefuses_FailsWithSlurmsWords_AndLeavesNoJobOrFile()
    {
        var job = NewJob();

        var e = await Assert.ThrowsAsync<LauncherException>(() => host.Launcher.SubmitAsync(host.Alice.Name, job,
            new RunSpec { Image = SlurmHost.Image, Env = new Dictionary<string, string> { ["A"] = "b" } },
            new SlurmSpec { Gpus = LocalSlurmCluster.Gpus + 1 }));

        Assert.Equal(LauncherFailure.OperationFailed, e.Failure);
        Assert.Contains("sbatch failed", e.Message, StringComparison.Ordinal);
        Assert.Contains("Requested node configuration is not available", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(host.Alice.Home, ".portal/slurm"), $"portal-{job}-*.env"));
        // Slurm keeps a record of the refused submission (FAILED, BadConstraints) for accounting; nothing waits or runs.
        var queue = await LocalSlurmCluster.RunAsync("/usr/bin/squeue", "--noheader", "--states=all", "--name=portal-" + job, "--format=%T");
        Assert.All(queue.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries), state => Assert.Equal("FAILED", state));
    }

    [Fact]
    public async Task TheLogOfAJobThatHasNotStarted_IsEmpty_NotAnError()
    {
        var lines = new List<string>();
        await foreach (var line in host.Launcher.StreamLogAsync(host.Alice.Name, "never", 999999, new LogsSpec()))
        {
            lines.Add(line);
        }

        Assert.Empty(lines);
    }
}
