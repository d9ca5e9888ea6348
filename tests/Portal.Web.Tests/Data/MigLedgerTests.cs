using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Portal.Core.Gpus;
using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Core.Scheduling;
using Portal.Data.Jobs;
using Portal.Data.Quotas;
using Portal.Jobs;
using Portal.Web.Services.Gpus;
using Portal.Web.Tests.Components.Gpus;
using Portal.Web.Tests.Jobs;
using static Portal.Web.Tests.Data.JobStoreFixtures;

namespace Portal.Web.Tests.Data;

/// <summary>
/// MIG instances in the GPU ledger, through the path production takes: the GPU monitor runs a fake nvidia-smi that
/// replays the H100 MIG capture (<c>-L</c> lists four instances), the inventory sync copies its reading into
/// PostgreSQL, and scheduling passes read the snapshot and commit their starts there.
/// </summary>
public sealed class MigLedgerTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static readonly DateTimeOffset Noon = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    // The capture's instances, as its (masked) nvidia-smi -L names them.
    private static readonly string[] Instances =
    [
        "MIG-00000000-0000-0000-0000-000000000000", "MIG-00000001-0000-0000-0000-000000000001",
        "MIG-00000002-0000-0000-0000-000000000002", "MIG-00000003-0000-0000-0000-000000000003",
    ];

    [Fact]
    public async Task A_GPU_split_into_MIG_instances_is_given_out_as_its_instances_and_whole_again_once_MIG_is_off()
    {
        using var box = FakeGpuBox.Create([new FakeGpu(GpuCaptures.H100Mig)]);
        var parent = box.Uuids[0];
        await using var database = await TestDatabase.CreateAsync();
        var clock = new ManualClock(Noon);
        var store = new JobStore(database, clock);
        var gpus = new GpuStore(database, clock);
        var leo = await database.AddUserAsync("mig-leo", 6311);
        var mia = await database.AddUserAsync("mig-mia", 6312);
        var quotas = new QuotaStore(database, clock);
        await quotas.SetUserOverrideAsync(leo, new QuotaPolicy { MaxConcurrentGpus = 4 });
        await quotas.SetUserOverrideAsync(mia, new QuotaPolicy { MaxConcurrentGpus = 4 });

        // MIG on: the ledger gets the four instances, and the GPU itself is not given out.
        await SyncFromMonitorAsync(gpus, box, expectedMigInstances: 4);
        var stored = await gpus.ListGpusAsync();
        Assert.Equal([parent, .. Instances], stored.Select(g => g.Uuid));
        var whole = stored[0];
        Assert.True(whole.HasMigInstances);
        Assert.Null(whole.ParentUuid);
        var first = stored[1];
        Assert.Equal("NVIDIA H100 80GB HBM3 MIG 3g.40gb", first.Name);
        Assert.Equal(40 * 1024, first.MemoryTotalMiB);
        Assert.Equal(parent, first.ParentUuid);
        Assert.Equal(["3g.40gb", "2g.20gb", "1g.10gb", "1g.10gb"], stored.Skip(1).Select(g => g.Name.Split(' ')[^1]));
        Assert.All(stored, g => Assert.True(g.IsPresent));
        Assert.Equal(Instances, (await store.LoadSnapshotAsync()).Snapshot.Gpus.Select(g => g.Uuid));

        // Two jobs of one GPU each get two different instances; a job of three then waits (two are free), and one of
        // five is refused outright: the machine offers four.
        var leoJob = await SubmitAsync(store, leo, Spec(gpus: 1));
        var miaJob = await SubmitAsync(store, mia, Spec(gpus: 1));
        clock.Advance(TimeSpan.FromSeconds(1));
        var threeJob = await SubmitAsync(store, leo, Spec(gpus: 3));
        var five = await store.SubmitAsync(Submission(leo, Spec(gpus: 5)));
        Assert.False(five.Accepted);
        Assert.Contains(five.Errors, e => e.Message.Contains("this machine has 4", StringComparison.Ordinal));

        var plan = await PassAsync(store, clock);

        Assert.Equal([leoJob, miaJob], plan.Starts.Select(s => s.JobId).Order());
        var given = plan.Starts.SelectMany(s => s.GpuUuids).ToList();
        Assert.Equal(2, given.Distinct(StringComparer.Ordinal).Count());
        Assert.All(given, uuid => Assert.Contains(uuid, Instances));
        Assert.Equal(PendingReason.Resources, plan.PendingReasons[threeJob]);
        Assert.True((await store.MarkRunningAsync(leoJob, new string('a', 64))).Applied);
        Assert.True((await store.MarkRunningAsync(miaJob, new string('b', 64))).Applied);
        var holdings = await gpus.ListHoldingsAsync();
        Assert.Equal(given.Order(StringComparer.Ordinal), holdings.Select(h => h.GpuUuid));
        // What the launcher is asked for: the MIG UUIDs themselves (its policy has one GPU per instance by that id).
        Assert.Equal(
            given.Where(u => holdings.Single(h => h.GpuUuid == u).JobId == leoJob),
            (await store.GetAsync(leoJob, leo, isAdmin: false))!.Job.AssignedGpuUuids);

        // The GPU itself, asked for by UUID while split, is refused at the commit too.
        var whole1 = await SubmitAsync(store, leo, Spec(gpus: 1, name: "on-the-parent"));
        Assert.Equal(JobChangeStatus.GpuUnusable, (await store.CommitStartAsync(whole1, [parent])).Status);
        Assert.True((await store.CancelQueuedAsync(whole1, "mig-leo")).Applied);
        Assert.True((await store.CancelQueuedAsync(threeJob, "mig-leo")).Applied);

        // MIG off while mia's job still holds an instance: the instances are not present any more, and the GPU stays
        // out of service until that job lets go of its instance (never parent and instance to two jobs).
        Assert.True((await store.FinishAsync(leoJob, JobState.Succeeded, 0)).Applied);
        await File.WriteAllTextAsync(
            Path.Combine(box.Folder, "list.txt"),
            string.Concat((await File.ReadAllLinesAsync(Path.Combine(box.Folder, "list.txt")))
                .Where(l => !l.TrimStart().StartsWith("MIG ", StringComparison.Ordinal)).Select(l => l + "\n")));
        await SyncFromMonitorAsync(gpus, box, expectedMigInstances: 0);
        stored = await gpus.ListGpusAsync();
        Assert.Equal([parent], stored.Where(g => g.IsPresent).Select(g => g.Uuid));
        Assert.Equal(Instances, stored.Where(g => !g.IsPresent).Select(g => g.Uuid));
        Assert.False(stored[0].HasMigInstances);
        Assert.Empty((await store.LoadSnapshotAsync()).Snapshot.Gpus);
        var wholeJob = await SubmitAsync(store, leo, Spec(gpus: 1, name: "whole"));
        Assert.Equal(JobChangeStatus.GpuUnusable, (await store.CommitStartAsync(wholeJob, [parent])).Status);

        Assert.True((await store.FinishAsync(miaJob, JobState.Succeeded, 0)).Applied);
        Assert.Equal([parent], (await store.LoadSnapshotAsync()).Snapshot.Gpus.Select(g => g.Uuid));
        plan = await PassAsync(store, clock);
        var start = Assert.Single(plan.Starts);
        Assert.Equal(wholeJob, start.JobId);
        Assert.Equal([parent], start.GpuUuids);
    }

    [Fact]
    public async Task A_GPU_held_whole_keeps_its_new_MIG_instances_out_of_service_until_it_is_released()
    {
        await using var database = await TestDatabase.CreateAsync();
        var clock = new ManualClock(Noon);
        var store = new JobStore(database, clock);
        var gpus = new GpuStore(database, clock);
        var whole = TestDatabase.Gpu(0);
        await gpus.UpsertGpusAsync([whole]);
        var kim = await database.AddUserAsync("mig-kim", 6313);
        var job = await SubmitAsync(store, kim, Spec(gpus: 1));
        Assert.True((await store.CommitStartAsync(job, [whole.Uuid])).Applied);
        Assert.True((await store.MarkRunningAsync(job, new string('c', 64))).Applied);

        // MIG switched on under the job (as far as the ledger knows): its instances appear, but none is given out.
        var instance = new MigDevice(whole.Uuid, 0, "MIG-0000aaaa-0000-0000-0000-000000000000", "7g.80gb");
        await gpus.UpsertGpusAsync([whole with { MigDevices = [instance] }]);
        Assert.Empty((await store.LoadSnapshotAsync()).Snapshot.Gpus);
        var next = await SubmitAsync(store, kim, Spec(gpus: 1, name: "next"));
        Assert.Equal(JobChangeStatus.GpuUnusable, (await store.CommitStartAsync(next, [instance.Uuid])).Status);

        Assert.True((await store.FinishAsync(job, JobState.Succeeded, 0)).Applied);

        Assert.Equal([instance.Uuid], (await store.LoadSnapshotAsync()).Snapshot.Gpus.Select(g => g.Uuid));
        Assert.True((await store.CommitStartAsync(next, [instance.Uuid])).Applied);
    }

    /// <summary>Reads the box with a fresh GPU monitor (nvidia-smi -L is read when its sampler starts, as after MIG
    /// is switched, which resets the GPU) and runs the inventory sync the job runner runs.</summary>
    private static async Task SyncFromMonitorAsync(GpuStore gpus, FakeGpuBox box, int expectedMigInstances)
    {
        var options = new GpuMonitorOptions { SearchPath = box.SearchPath, Interval = TimeSpan.FromMilliseconds(200) };
        var monitor = new GpuMonitor(Options.Create(options), new NoHolders(), TimeProvider.System, NullLogger<GpuMonitor>.Instance);
        await monitor.StartAsync(CancellationToken.None);
        try
        {
            var source = (IGpuInventorySource)monitor;
            await Eventually.UntilAsync(() => Task.FromResult(source.CurrentSnapshot), s => s.Status == GpuDiscoveryStatus.Available,
                Deadline, "the monitor's first reading");
            Assert.Equal(expectedMigInstances, Assert.Single(source.CurrentSnapshot.Devices).MigDevices.Count);
            await using var services = new ServiceCollection().AddSingleton(source).BuildServiceProvider();
            await new GpuInventorySync(gpus, services, TimeProvider.System, NullLogger<GpuInventorySync>.Instance).SyncAsync(CancellationToken.None);
        }
        finally
        {
            await monitor.StopAsync(CancellationToken.None);
            monitor.Dispose();
        }
    }

    private static async Task<SchedulingPlan> PassAsync(JobStore store, ManualClock clock)
    {
        var state = await store.LoadSnapshotAsync();
        var plan = new Scheduler(clock).Plan(state.Snapshot);
        foreach (var start in plan.Starts)
        {
            Assert.True((await store.CommitStartAsync(start.JobId, start.GpuUuids)).Applied);
        }

        await store.SetPendingReasonsAsync(plan.PendingReasons);
        return plan;
    }

    private sealed class NoHolders : IGpuHolderSource
    {
        public Task<GpuOccupancy> ReadAsync(CancellationToken cancellationToken) => Task.FromResult(GpuOccupancy.None);
    }
}
