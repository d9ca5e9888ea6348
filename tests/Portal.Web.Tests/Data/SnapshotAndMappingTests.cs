using System.Text.Json;
using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Core.Scheduling;
using Portal.Data.Entities.Jobs;
using Portal.Data.Jobs;
using Portal.Data.Quotas;
using Portal.Launcher.Protocol;
using static Portal.Web.Tests.Data.JobStoreFixtures;

namespace Portal.Web.Tests.Data;

public sealed class SnapshotAndMappingTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static JobSpec RichSpec => new()
    {
        Name = "rich",
        Image = "localhost/pytorch:2.5",
        Command = ["python", "train.py", "--lr", "0.1", "a b"],
        Environment = new Dictionary<string, string> { ["SEED"] = "1", ["MODE"] = "fast" },
        WorkingDirectory = "/work",
        Mounts = [new MountSpec("/home/kim/data", "/data", ReadOnly: true), new MountSpec("/home/kim/out", "/out", ReadOnly: false)],
        Gpus = GpuRequest.Specific([TestDatabase.Gpu(1).Uuid]),
        Cpus = 1.5,
        MemoryMiB = 3000,
        Walltime = TimeSpan.FromMinutes(90),
        Priority = 5,
    };

    [Fact]
    public void A_job_mapped_to_rows_and_restored_equals_the_original()
    {
        var job = new Job(42, "kim", RichSpec, Noon);
        job.Start([TestDatabase.Gpu(1).Uuid], Noon.AddMinutes(1));
        job.MarkRunning("cid", Noon.AddMinutes(2));
        job.Finish(0, Noon.AddMinutes(50));

        var record = JobMapper.NewRecord(Guid.NewGuid(), job.Owner, job.Spec, job.SubmittedAt);
        record.Id = job.Id;
        JobMapper.CopyState(job, record);
        var history = JobMapper.NewHistory(job, 0).Select((h, i) => { h.Id = i + 1; return h; }).ToList();
        var allocations = job.AssignedGpuUuids.Select((u, i) => new GpuAllocation { GpuUuid = u, JobId = job.Id, Position = i }).ToList();
        var restored = JobMapper.ToDomain(record, history, allocations);

        AssertSameJob(job, restored);
    }

    [Fact]
    public async Task A_stored_job_reads_back_equal_to_the_job_in_memory()
    {
        await using var database = await TestDatabase.CreateAsync();
        var clock = new ManualClock(Noon.AddTicks(1234567));
        var store = new JobStore(database, clock);
        await new GpuStore(database, clock).UpsertGpusAsync([TestDatabase.Gpu(0), TestDatabase.Gpu(1)]);
        var kim = await database.AddUserAsync("kim", 6301);
        var id = await SubmitAsync(store, kim, RichSpec, isAdmin: true);
        clock.Advance(TimeSpan.FromSeconds(1.5));
        await store.CommitStartAsync(id, [TestDatabase.Gpu(1).Uuid]);
        clock.Advance(TimeSpan.FromSeconds(3));
        await store.MarkRunningAsync(id, "cid");

        var stored = (await store.GetAsync(id, kim, isAdmin: false))!.Job;
        var expected = new Job(id, "kim", RichSpec, stored.SubmittedAt);
        expected.Start([TestDatabase.Gpu(1).Uuid], stored.StartedAt!.Value);
        expected.MarkRunning("cid", stored.History[2].At);

        AssertSameJob(expected, stored);
        Assert.Equal(TimeSpan.FromSeconds(1.5), stored.StartedAt - stored.SubmittedAt);
    }

    [Fact]
    public async Task A_scheduling_pass_reads_the_snapshot_commits_its_starts_and_stores_pending_reasons()
    {
        await using var database = await TestDatabase.CreateAsync();
        var clock = new ManualClock(Noon);
        var store = new JobStore(database, clock);
        var gpus = new GpuStore(database, clock);
        await gpus.UpsertGpusAsync([TestDatabase.Gpu(0), TestDatabase.Gpu(1), TestDatabase.Gpu(2)]);
        await gpus.SetGpuDrainedAsync(TestDatabase.Gpu(2).Uuid, drained: true, "admin", "maintenance");
        var leo = await database.AddUserAsync("leo", 6302);
        var mia = await database.AddUserAsync("mia", 6303);
        var quotas = new QuotaStore(database, clock);
        await quotas.SetUserOverrideAsync(mia, new QuotaPolicy { MaxConcurrentGpus = 1 });
        await quotas.SetUserOverrideAsync(leo, new QuotaPolicy { MaxConcurrentGpus = 4 });
        var running = await SubmitAsync(store, leo, Spec(gpus: 1));
        await store.CommitStartAsync(running, [TestDatabase.Gpu(0).Uuid]);
        await store.MarkRunningAsync(running, "c1");
        clock.Advance(TimeSpan.FromMinutes(10));
        var miaJob = await SubmitAsync(store, mia, Spec(gpus: 1));
        var miaSecond = await SubmitAsync(store, mia, Spec(gpus: 1));
        var tooBig = await SubmitAsync(store, leo, Spec(gpus: 3));

        var state = await store.LoadSnapshotAsync();

        Assert.Empty(state.UnreadableJobIds);
        Assert.Equal([miaJob, miaSecond, tooBig], state.Snapshot.Queued.Select(q => q.JobId).Order());
        Assert.Equal(running, Assert.Single(state.Snapshot.Running).JobId);
        Assert.Equal([false, false, true], state.Snapshot.Gpus.Select(g => g.Drained));
        Assert.Equal(1, state.Snapshot.QuotaByOwner["mia"].MaxConcurrentGpus);
        Assert.Equal(600, state.Snapshot.GpuSecondsInWindowByOwner["leo"]);

        var plan = new Scheduler(clock).Plan(state.Snapshot);
        foreach (var start in plan.Starts)
        {
            Assert.True((await store.CommitStartAsync(start.JobId, start.GpuUuids)).Applied);
        }

        await store.SetPendingReasonsAsync(plan.PendingReasons);

        Assert.Equal(miaJob, Assert.Single(plan.Starts).JobId);
        var queued = await store.ListAsync(leo, isAdmin: true, new JobListQuery(States: [JobState.Queued]));
        Assert.Equal(PendingReason.UserGpuLimit, queued.Items.Single(j => j.Id == miaSecond).PendingReason);
        Assert.Equal(PendingReason.GpuDrained, queued.Items.Single(j => j.Id == tooBig).PendingReason);
        Assert.Equal(0L, await database.ScalarAsync("SELECT count(*) FROM \"Gpus\" g JOIN \"GpuAllocations\" a ON a.\"GpuUuid\" = g.\"Uuid\" WHERE g.\"Drained\""));
    }

    [Fact]
    public async Task A_GPU_missing_from_discovery_is_kept_but_no_longer_scheduled()
    {
        await using var database = await TestDatabase.CreateAsync();
        var clock = new ManualClock(Noon);
        var gpus = new GpuStore(database, clock);
        await gpus.UpsertGpusAsync([TestDatabase.Gpu(0), TestDatabase.Gpu(1)]);
        await gpus.SetGpuDrainedAsync(TestDatabase.Gpu(1).Uuid, drained: true, "admin", null);

        await gpus.UpsertGpusAsync([TestDatabase.Gpu(1) with { Index = 0 }]);

        var listed = await gpus.ListGpusAsync();
        Assert.Equal([(TestDatabase.Gpu(1).Uuid, true, true, 0), (TestDatabase.Gpu(0).Uuid, false, false, 0)],
            listed.Select(g => (g.Uuid, g.IsPresent, g.Drained, g.Index)));
        var snapshot = (await new JobStore(database, clock).LoadSnapshotAsync()).Snapshot;
        Assert.Equal(TestDatabase.Gpu(1).Uuid, Assert.Single(snapshot.Gpus).Uuid);
        Assert.Equal(GpuDrainOutcome.NoSuchGpu, await gpus.SetGpuDrainedAsync("GPU-unknown", drained: true, "admin", null));
    }

    private static JobSpec Sorted(JobSpec spec) =>
        spec with { Environment = new SortedDictionary<string, string>(spec.Environment.ToDictionary(), StringComparer.Ordinal) };

    private static void AssertSameJob(Job expected, Job actual)
    {
        Assert.Equal(expected.Id, actual.Id);
        Assert.Equal(expected.Owner, actual.Owner);
        // jsonb keeps an object's keys in its own order; the environment is a set of variables, so compare it sorted.
        Assert.Equal(JsonSerializer.Serialize(Sorted(expected.Spec)), JsonSerializer.Serialize(Sorted(actual.Spec)));
        Assert.Equal(expected.History, actual.History);
        Assert.Equal(expected.State, actual.State);
        Assert.Equal(expected.AssignedGpuUuids, actual.AssignedGpuUuids);
        Assert.Equal(expected.StartedAt, actual.StartedAt);
        Assert.Equal(expected.EndedAt, actual.EndedAt);
        Assert.Equal(expected.ContainerId, actual.ContainerId);
        Assert.Equal(expected.ExitCode, actual.ExitCode);
        Assert.Equal(expected.PendingReason, actual.PendingReason);
    }
}
