using Microsoft.EntityFrameworkCore;
using Portal.Core.Jobs;
using Portal.Data.Entities.Jobs;
using Portal.Data.Jobs;
using static Portal.Web.Tests.Data.JobStoreFixtures;

namespace Portal.Web.Tests.Data;

public sealed class JobLifecycleTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(JobState.Failed, 137, 137)]
    [InlineData(JobState.Succeeded, 0, null)]
    public async Task A_job_that_ended_after_the_OOM_killer_struck_in_its_cgroup_fails_out_of_memory_with_its_usage_recorded(
        JobState reported, int exitCode, int? recordedExitCode)
    {
        await using var database = await TestDatabase.CreateAsync();
        var clock = new ManualClock(Start);
        var store = new JobStore(database, clock);
        await new GpuStore(database, clock).UpsertGpusAsync([TestDatabase.Gpu(0)]);
        var alice = await database.AddUserAsync("alice", 6001);
        var id = await SubmitAsync(store, alice, Spec(gpus: 1));
        Assert.True((await store.CommitStartAsync(id, [TestDatabase.Gpu(0).Uuid])).Applied);
        Assert.True((await store.MarkRunningAsync(id, "c0ffee")).Applied);
        var usage = new JobResourceUsage(CpuSeconds: 12.5, PeakMemoryBytes: 64L << 20, OomKills: 1);

        Assert.True((await store.FinishAsync(id, reported, exitCode, usage: usage, memoryLimitBytes: 64L << 20)).Applied);

        var details = await store.GetAsync(id, alice, isAdmin: false);
        Assert.NotNull(details);
        Assert.Equal(JobState.Failed, details.Job.State);
        Assert.Equal(recordedExitCode, details.Job.ExitCode);
        Assert.Equal("out of memory: limit 64 MiB", details.Job.History[^1].Detail);
        Assert.Equal(usage, details.Usage);
        Assert.Equal(0L, await database.ScalarAsync("SELECT count(*) FROM \"GpuAllocations\" WHERE \"ReleasedAt\" IS NULL"));
    }

    [Fact]
    public async Task A_job_cancelled_after_an_OOM_kill_stays_cancelled_and_a_job_without_figures_has_no_usage()
    {
        await using var database = await TestDatabase.CreateAsync();
        var clock = new ManualClock(Start);
        var store = new JobStore(database, clock);
        await new GpuStore(database, clock).UpsertGpusAsync([TestDatabase.Gpu(0)]);
        var alice = await database.AddUserAsync("alice", 6001);
        var cancelled = await SubmitAsync(store, alice, Spec(gpus: 0));
        var plain = await SubmitAsync(store, alice, Spec(gpus: 0));
        foreach (var id in new[] { cancelled, plain })
        {
            Assert.True((await store.CommitStartAsync(id, [])).Applied);
            Assert.True((await store.MarkRunningAsync(id, "c0ffee" + id)).Applied);
        }

        Assert.True((await store.FinishAsync(cancelled, JobState.Cancelled, null, "alice", new JobResourceUsage(1, null, 2))).Applied);
        Assert.True((await store.FinishAsync(plain, JobState.Succeeded, 0)).Applied);

        var first = (await store.FindAsync(cancelled))!;
        Assert.Equal(JobState.Cancelled, first.Job.State);
        Assert.Equal(new JobResourceUsage(1, null, 2), first.Usage);
        var second = (await store.FindAsync(plain))!;
        Assert.Equal(JobState.Succeeded, second.Job.State);
        Assert.Null(second.Usage);
    }

    [Fact]
    public async Task A_job_runs_to_its_end_releases_its_GPUs_records_GPU_seconds_and_keeps_its_whole_history()
    {
        await using var database = await TestDatabase.CreateAsync();
        var clock = new ManualClock(Start);
        var store = new JobStore(database, clock);
        await new GpuStore(database, clock).UpsertGpusAsync([TestDatabase.Gpu(0), TestDatabase.Gpu(1), TestDatabase.Gpu(2)]);
        var alice = await database.AddUserAsync("alice", 6001);
        var id = await SubmitAsync(store, alice, Spec(gpus: 2));

        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.True((await store.CommitStartAsync(id, [TestDatabase.Gpu(2).Uuid, TestDatabase.Gpu(0).Uuid])).Applied);
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.True((await store.MarkRunningAsync(id, "c0ffee")).Applied);
        clock.Advance(TimeSpan.FromMinutes(30));
        Assert.True((await store.FinishAsync(id, JobState.Failed, exitCode: 3)).Applied);

        var details = await store.GetAsync(id, alice, isAdmin: false);
        Assert.NotNull(details);
        var job = details.Job;
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(3, job.ExitCode);
        Assert.Equal("c0ffee", job.ContainerId);
        Assert.Equal([TestDatabase.Gpu(2).Uuid, TestDatabase.Gpu(0).Uuid], job.AssignedGpuUuids);
        Assert.Equal(2 * (30 * 60 + 5), details.GpuSeconds);
        Assert.All(details.Allocations, a => Assert.Equal(Start.AddMinutes(31).AddSeconds(5), a.ReleasedAt));
        Assert.Equal(0L, await database.ScalarAsync("SELECT count(*) FROM \"GpuAllocations\" WHERE \"ReleasedAt\" IS NULL"));

        await using var db = database.CreateDbContext();
        var history = await db.JobStateChanges.Where(c => c.JobId == id).OrderBy(c => c.Id).ToListAsync();
        Assert.Equal(
            [(null, JobStateColumn.Queued), (JobStateColumn.Queued, JobStateColumn.Starting),
             (JobStateColumn.Starting, JobStateColumn.Running), (JobStateColumn.Running, JobStateColumn.Failed)],
            history.Select(h => (h.FromState, h.ToState)).ToList());
        Assert.Equal([Start, Start.AddMinutes(1), Start.AddMinutes(1).AddSeconds(5), Start.AddMinutes(31).AddSeconds(5)], history.Select(h => h.At));
        Assert.Equal("exit code 3", history[^1].Reason);
    }

    [Fact]
    public async Task Reading_a_job_while_it_moves_always_gives_a_consistent_job()
    {
        await using var database = await TestDatabase.CreateAsync();
        var store = new JobStore(database, TimeProvider.System);
        await new GpuStore(database, TimeProvider.System).UpsertGpusAsync([TestDatabase.Gpu(0)]);
        var olga = await database.AddUserAsync("olga", 6007);
        var moving = true;

        var mover = Task.Run(async () =>
        {
            try
            {
                for (var i = 0; i < 15; i++)
                {
                    var id = await SubmitAsync(store, olga, Spec(gpus: 1));
                    Assert.True((await store.CommitStartAsync(id, [TestDatabase.Gpu(0).Uuid])).Applied);
                    Assert.True((await store.MarkRunningAsync(id, "c")).Applied);
                    Assert.True((await store.FinishAsync(id, JobState.Failed, 1)).Applied);
                }
            }
            finally
            {
                Volatile.Write(ref moving, false);
            }
        });
        var readers = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            var reads = 0;
            while (Volatile.Read(ref moving))
            {
                // Restore throws on a torn read (a row from before a move with the history from after it).
                var page = await store.ListAsync(olga, isAdmin: false, new JobListQuery(Take: 1));
                if (page.Items.Count == 1 && await store.GetAsync(page.Items[0].Id, olga, isAdmin: false) is not null)
                {
                    reads++;
                }
            }

            return reads;
        })).ToArray();

        await mover;
        Assert.True((await Task.WhenAll(readers)).Sum() > 0);
    }

    [Fact]
    public async Task A_refused_start_leaves_the_job_queued_with_no_ledger_lines()
    {
        await using var database = await TestDatabase.CreateAsync();
        var clock = new ManualClock(Start);
        var store = new JobStore(database, clock);
        var gpus = new GpuStore(database, clock);
        await gpus.UpsertGpusAsync([TestDatabase.Gpu(0), TestDatabase.Gpu(1), TestDatabase.Gpu(2)]);
        await gpus.SetGpuDrainedAsync(TestDatabase.Gpu(2).Uuid, drained: true, "admin", "fan noise");
        var bob = await database.AddUserAsync("bob", 6002);
        var first = await SubmitAsync(store, bob, Spec(gpus: 1));
        var second = await SubmitAsync(store, bob, Spec(gpus: 2));
        Assert.True((await store.CommitStartAsync(first, [TestDatabase.Gpu(0).Uuid])).Applied);

        // GPU 0 is held by the first job: the ledger's unique index refuses, and GPU 1's line must not survive either.
        var busy = await store.CommitStartAsync(second, [TestDatabase.Gpu(1).Uuid, TestDatabase.Gpu(0).Uuid]);
        var drained = await store.CommitStartAsync(second, [TestDatabase.Gpu(1).Uuid, TestDatabase.Gpu(2).Uuid]);
        var unknown = await store.CommitStartAsync(second, [TestDatabase.Gpu(1).Uuid, "GPU-nope"]);
        var wrongCount = await store.CommitStartAsync(second, [TestDatabase.Gpu(1).Uuid]);
        var twice = await store.CommitStartAsync(first, [TestDatabase.Gpu(1).Uuid]);

        Assert.Equal(JobChangeStatus.GpuBusy, busy.Status);
        Assert.Equal(JobChangeStatus.GpuUnusable, drained.Status);
        Assert.Equal(JobChangeStatus.GpuUnusable, unknown.Status);
        Assert.Equal(JobChangeStatus.GpuUnusable, wrongCount.Status);
        Assert.Equal(JobChangeStatus.WrongState, twice.Status);
        var job = (await store.GetAsync(second, bob, isAdmin: false))!;
        Assert.Equal(JobState.Queued, job.Job.State);
        Assert.Single(job.Job.History);
        Assert.Empty(job.Allocations);
        Assert.Equal(1L, await database.ScalarAsync("SELECT count(*) FROM \"GpuAllocations\""));
    }

    [Fact]
    public async Task Another_users_job_is_invisible_an_admin_sees_it_and_a_withdrawn_job_stays_withdrawn()
    {
        await using var database = await TestDatabase.CreateAsync();
        var store = new JobStore(database, new ManualClock(Start));
        var carol = await database.AddUserAsync("carol", 6003);
        var dave = await database.AddUserAsync("dave", 6004);
        var id = await SubmitAsync(store, carol, Spec(gpus: 0));

        Assert.Null(await store.GetAsync(id, dave, isAdmin: false));
        Assert.Null(await store.GetAsync(id + 1000, carol, isAdmin: false));
        Assert.Equal(0, (await store.ListAsync(dave, isAdmin: false, new JobListQuery(OwnerId: carol))).Total);
        Assert.NotNull(await store.GetAsync(id, dave, isAdmin: true));
        Assert.Equal(1, (await store.ListAsync(dave, isAdmin: true, new JobListQuery(OwnerId: carol))).Total);

        var cancelled = await store.CancelQueuedAsync(id, "carol");

        Assert.True(cancelled.Applied);
        var job = (await store.GetAsync(id, carol, isAdmin: false))!.Job;
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.Equal("cancelled by carol", job.History[^1].Detail);
        Assert.Equal(JobChangeStatus.WrongState, (await store.CancelQueuedAsync(id, "carol")).Status);
    }

    [Fact]
    public async Task Lists_page_newest_first_and_filter_by_state()
    {
        await using var database = await TestDatabase.CreateAsync();
        var store = new JobStore(database, new ManualClock(Start));
        var erin = await database.AddUserAsync("erin", 6005);
        var ids = new List<long>();
        for (var i = 0; i < 7; i++)
        {
            ids.Add(await SubmitAsync(store, erin, Spec(gpus: 0, name: $"job{i}")));
        }

        await store.CancelQueuedAsync(ids[3], "erin");

        var page = await store.ListAsync(erin, isAdmin: false, new JobListQuery(Skip: 2, Take: 3));
        var queued = await store.ListAsync(erin, isAdmin: false, new JobListQuery(States: [JobState.Queued]));

        Assert.Equal(7, page.Total);
        Assert.Equal([ids[4], ids[3], ids[2]], page.Items.Select(j => j.Id));
        Assert.Equal(6, queued.Total);
        Assert.DoesNotContain(ids[3], queued.Items.Select(j => j.Id));
    }

    [Fact]
    public async Task Ending_a_job_that_never_started_is_refused_and_an_exit_code_must_match_the_state()
    {
        await using var database = await TestDatabase.CreateAsync();
        var store = new JobStore(database, new ManualClock(Start));
        var frank = await database.AddUserAsync("frank", 6006);
        var id = await SubmitAsync(store, frank, Spec(gpus: 0));

        Assert.Equal(JobChangeStatus.WrongState, (await store.FinishAsync(id, JobState.Lost, null, "gone")).Status);
        Assert.Equal(JobChangeStatus.WrongState, (await store.MarkRunningAsync(id, "abc")).Status);
        await Assert.ThrowsAsync<ArgumentException>(() => store.FinishAsync(id, JobState.Succeeded, exitCode: 1));
        await Assert.ThrowsAsync<ArgumentException>(() => store.FinishAsync(id, JobState.Running, exitCode: null));
        Assert.Equal(JobState.Queued, (await store.GetAsync(id, frank, isAdmin: false))!.Job.State);
    }
}
