using System.Collections.Concurrent;
using Portal.Core.Quotas;
using Xunit.Abstractions;
using Portal.Data.Jobs;
using Portal.Data.Quotas;
using static Portal.Web.Tests.Data.JobStoreFixtures;

namespace Portal.Web.Tests.Data;

/// <summary>Many writers at once: the database, not luck, keeps the ledger and the queue limit right.</summary>
public sealed class ConcurrencyTests(ITestOutputHelper output)
{
    private const int GpuCount = 8;
    private const int Users = 10;
    private const int JobsPerUser = 50;
    private const int Committers = 50;
    private const int AttemptsPerCommitter = 25;

    [Fact]
    public async Task A_storm_of_concurrent_start_commits_never_gives_one_GPU_to_two_jobs()
    {
        await using var database = await TestDatabase.CreateAsync();
        var store = new JobStore(database, TimeProvider.System);
        await new GpuStore(database, TimeProvider.System).UpsertGpusAsync(Enumerable.Range(0, GpuCount).Select(TestDatabase.Gpu));
        var gpus = Enumerable.Range(0, GpuCount).Select(i => TestDatabase.Gpu(i).Uuid).ToArray();
        var submitting = System.Diagnostics.Stopwatch.StartNew();
        var jobs = await SubmitManyAsync(database, store);
        output.WriteLine($"{jobs.Count} jobs submitted in {submitting.Elapsed.TotalSeconds:0.0} s");
        var storming = System.Diagnostics.Stopwatch.StartNew();

        var outcomes = new ConcurrentBag<(long JobId, JobChangeStatus Status)>();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(90);
        var committers = Enumerable.Range(0, Committers).Select(seed => Task.Run(async () =>
        {
            var random = new Random(seed);
            for (var attempt = 0; attempt < AttemptsPerCommitter && DateTimeOffset.UtcNow < deadline; attempt++)
            {
                // Deliberately stale choices: every committer picks jobs and GPUs without looking at the others.
                var (jobId, count) = jobs[random.Next(jobs.Count)];
                var chosen = gpus.OrderBy(_ => random.Next()).Take(count).ToArray();
                var result = await store.CommitStartAsync(jobId, chosen);
                outcomes.Add((jobId, result.Status));
                if (result.Applied && attempt < AttemptsPerCommitter - 2)
                {
                    // Jobs end soon, freeing their GPUs for the rest of the storm; those started in a committer's
                    // last attempts keep their GPUs, for the checks below.
                    Assert.True((await store.MarkRunningAsync(jobId, $"c{jobId}")).Applied);
                    Assert.True((await store.FinishAsync(jobId, Portal.Core.Jobs.JobState.Succeeded, 0)).Applied);
                }
            }
        })).ToArray();
        await Task.WhenAll(committers);
        output.WriteLine($"{outcomes.Count} commits in {storming.Elapsed.TotalSeconds:0.0} s: "
            + string.Join(", ", outcomes.GroupBy(o => o.Status).Select(g => $"{g.Key} {g.Count()}")));

        var started = outcomes.Where(o => o.Status == JobChangeStatus.Applied).Select(o => o.JobId).ToList();
        Assert.NotEmpty(started);
        Assert.Contains(outcomes, o => o.Status == JobChangeStatus.GpuBusy);
        Assert.Equal(started.Count, started.Distinct().Count());
        Assert.DoesNotContain(outcomes, o => o.Status is JobChangeStatus.NotFound or JobChangeStatus.GpuUnusable);
        await AssertLedgerConsistentAsync(database, expectedStarted: started.Count);
    }

    [Fact]
    public async Task Two_commits_wanting_the_same_two_GPUs_in_opposite_orders_end_in_one_start_and_one_refusal()
    {
        await using var database = await TestDatabase.CreateAsync();
        var store = new JobStore(database, TimeProvider.System);
        await new GpuStore(database, TimeProvider.System).UpsertGpusAsync([TestDatabase.Gpu(0), TestDatabase.Gpu(1)]);
        var owner = await database.AddUserAsync("pairs", 6102);
        await new QuotaStore(database, TimeProvider.System).SetUserOverrideAsync(owner, new QuotaPolicy { MaxConcurrentGpus = 2 });
        string x = TestDatabase.Gpu(0).Uuid, y = TestDatabase.Gpu(1).Uuid;

        for (var round = 0; round < 15; round++)
        {
            var first = await SubmitAsync(store, owner, Spec(gpus: 2));
            var second = await SubmitAsync(store, owner, Spec(gpus: 2));

            // Opposite orders are the case the store locks GPU rows in UUID order for. The window for a deadlock
            // without that lock is microseconds wide, so this checks the outcome, not that the lock is needed.
            var results = await Task.WhenAll(
                Task.Run(() => store.CommitStartAsync(first, [x, y])),
                Task.Run(() => store.CommitStartAsync(second, [y, x])));

            Assert.Equal([JobChangeStatus.Applied, JobChangeStatus.GpuBusy], results.Select(r => r.Status).Order());
            var winner = results[0].Applied ? first : second;
            var loser = results[0].Applied ? second : first;
            Assert.True((await store.FinishAsync(winner, Portal.Core.Jobs.JobState.Lost, null, "test")).Applied);
            Assert.True((await store.CancelQueuedAsync(loser, "test")).Applied);
        }

        await AssertLedgerConsistentAsync(database, expectedStarted: 15, expectHolders: false);
    }

    [Fact]
    public async Task Concurrent_submits_by_one_user_never_pass_the_queued_job_limit()
    {
        await using var database = await TestDatabase.CreateAsync();
        var store = new JobStore(database, TimeProvider.System);
        var grace = await database.AddUserAsync("grace", 6101);
        await new QuotaStore(database, TimeProvider.System).SetUserOverrideAsync(grace, new QuotaPolicy { MaxQueuedJobs = 5 });

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i =>
            Task.Run(() => store.SubmitAsync(Submission(grace, Spec(gpus: 0, name: $"s{i}"))))));

        Assert.Equal(5, results.Count(r => r.Accepted));
        Assert.All(results.Where(r => !r.Accepted), r => Assert.Contains("your limit is 5", Assert.Single(r.Errors).Message, StringComparison.Ordinal));
        Assert.Equal(5L, await database.ScalarAsync("SELECT count(*) FROM \"Jobs\" WHERE \"State\" = 'Queued'"));
    }

    private static async Task<List<(long JobId, int Gpus)>> SubmitManyAsync(TestDatabase database, JobStore store)
    {
        var users = new List<Guid>();
        for (var u = 0; u < Users; u++)
        {
            users.Add(await database.AddUserAsync($"storm{u}", 7000 + u));
        }

        var perUser = await Task.WhenAll(users.Select((user, u) => Task.Run(async () =>
        {
            var mine = new List<(long, int)>();
            for (var i = 0; i < JobsPerUser; i++)
            {
                var count = 1 + ((u + i) % 2);
                mine.Add((await SubmitAsync(store, user, Spec(gpus: count, name: $"j{i}")), count));
            }

            return mine;
        })));
        return perUser.SelectMany(m => m).ToList();
    }

    /// <summary>Checks the ledger with SQL, independent of the store's own reads.</summary>
    private static async Task AssertLedgerConsistentAsync(TestDatabase database, int expectedStarted, bool expectHolders = true)
    {
        Assert.Equal(0L, await database.ScalarAsync(
            "SELECT count(*) FROM (SELECT \"GpuUuid\" FROM \"GpuAllocations\" WHERE \"ReleasedAt\" IS NULL GROUP BY \"GpuUuid\" HAVING count(*) > 1) d"));
        // Every job holding GPUs holds exactly as many as it asked for; no other job holds any.
        Assert.Equal(0L, await database.ScalarAsync(
            "SELECT count(*) FROM \"Jobs\" j WHERE (SELECT count(*) FROM \"GpuAllocations\" a WHERE a.\"JobId\" = j.\"Id\" AND a.\"ReleasedAt\" IS NULL)"
            + " <> CASE WHEN j.\"State\" IN ('Starting', 'Running') THEN j.\"GpuCount\" ELSE 0 END"));
        // Every job that got GPUs has exactly its count of ledger lines in all; jobs that never started have none.
        Assert.Equal(0L, await database.ScalarAsync(
            "SELECT count(*) FROM \"Jobs\" j WHERE (SELECT count(*) FROM \"GpuAllocations\" a WHERE a.\"JobId\" = j.\"Id\")"
            + " <> CASE WHEN j.\"StartedAt\" IS NULL THEN 0 ELSE j.\"GpuCount\" END"));
        Assert.Equal((long)expectedStarted, await database.ScalarAsync(
            "SELECT count(*) FROM \"Jobs\" WHERE \"StartedAt\" IS NOT NULL"));
        Assert.Equal(expectHolders, (long)(await database.ScalarAsync("SELECT count(*) FROM \"Jobs\" WHERE \"State\" IN ('Starting', 'Running')"))! > 0);
    }
}
