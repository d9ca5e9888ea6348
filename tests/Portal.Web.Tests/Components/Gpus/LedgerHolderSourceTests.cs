using Portal.Core.Gpus;
using Portal.Data.Jobs;
using Portal.Web.Services.Gpus;
using Portal.Web.Tests.Data;

namespace Portal.Web.Tests.Components.Gpus;

/// <summary>The dashboard's holders from the real ledger (PostgreSQL) joined with the processes a fake nvidia-smi
/// reports; this test process is one of them, so /proc resolves a real owner for it.</summary>
public sealed class LedgerHolderSourceTests
{
    [Fact]
    public async Task Holder_comes_from_the_ledger_and_a_process_outside_the_holders_job_and_account_is_foreign()
    {
        using var box = FakeGpuBox.Create([new FakeGpu(GpuCaptures.H100, Pids: [Environment.ProcessId]), new FakeGpu(GpuCaptures.L40S)]);
        await using var db = await TestDatabase.CreateAsync();
        var gpus = new GpuStore(db, TimeProvider.System);
        await gpus.UpsertGpusAsync(box.Uuids.Select((uuid, i) => new GpuDevice(i, uuid, "Fake", 81920, null, $"/dev/nvidia{i}", [])));
        var owner = await db.AddUserAsync("ledger-alice", 4242);
        var jobs = new JobStore(db, TimeProvider.System);
        var job = await JobStoreFixtures.SubmitAsync(jobs, owner, JobStoreFixtures.Spec(gpus: 1, name: "train"));
        Assert.True((await jobs.CommitStartAsync(job, [box.Uuids[0]])).Applied);
        Assert.True((await jobs.MarkRunningAsync(job, new string('a', 64))).Applied);
        Assert.Equal(GpuDrainOutcome.Done, await gpus.SetGpuDrainedAsync(box.Uuids[1], drained: true, "ops", "burn-in"));
        var source = new LedgerHolderSource(gpus, new GpuProcessReader(
            new NvidiaSmiProcessQuery(new NvidiaSmiSamplerOptions { SearchPath = box.SearchPath }), new ProcessOwnerResolver(),
            new Portal.Web.Services.Launcher.LauncherPolicyFacts(null, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger<Portal.Web.Services.Launcher.LauncherPolicyFacts>.Instance)));

        var occupancy = await source.ReadAsync(CancellationToken.None);

        Assert.Null(occupancy.Problem);
        Assert.Equal(new GpuHolder("ledger-alice", 4242, job, "train"), occupancy.HolderOf(box.Uuids[0]));
        Assert.Null(occupancy.HolderOf(box.Uuids[1]));
        var mine = Assert.Single(occupancy.ProcessesOn(box.Uuids[0]), p => p.Pid == Environment.ProcessId);
        Assert.NotNull(mine.OwnerUid);
        Assert.Null(mine.JobId);
        Assert.True(GpuOccupancy.IsForeign(mine, occupancy.HolderOf(box.Uuids[0])));
        Assert.Equal(new GpuDrainNote("ops", "burn-in"), occupancy.DrainOf(box.Uuids[1]));
        Assert.Null(occupancy.DrainOf(box.Uuids[0]));

        // Released: the GPU reads free again, and the same process is now "outside any job".
        Assert.True((await jobs.FinishAsync(job, Portal.Core.Jobs.JobState.Succeeded, 0)).Applied);
        var after = await source.ReadAsync(CancellationToken.None);
        Assert.Null(after.HolderOf(box.Uuids[0]));
    }

    [Fact]
    public void A_process_in_the_holders_job_or_run_by_the_holders_account_is_not_foreign()
    {
        var holder = new GpuHolder("alice", 1001, 7, null);

        Assert.False(GpuOccupancy.IsForeign(new GpuProcessInfo(1, "python", null, 100000, null, JobId: 7), holder));
        Assert.False(GpuOccupancy.IsForeign(new GpuProcessInfo(2, "python", null, 1001, "alice", null), holder));
        Assert.True(GpuOccupancy.IsForeign(new GpuProcessInfo(3, "python", null, 1002, "bob", 8), holder));
        Assert.True(GpuOccupancy.IsForeign(new GpuProcessInfo(4, "python", null, null, null, null), holder with { Uid = null }));
    }
}
