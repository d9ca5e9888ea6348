using Microsoft.EntityFrameworkCore;
using Portal.Core.Gpus;
using Portal.Core.Jobs;
using Portal.Data.Entities.Jobs;
using Portal.Data.Jobs;
using Portal.Web.Tests.Data;

namespace Portal.Web.Tests.Jobs;

/// <summary>One test's world: a fresh database with the fixture's users bound to portal accounts, the fake GPUs
/// it asks for, and helpers to submit jobs and read them back.</summary>
public sealed class JobTestContext : IAsyncDisposable
{
    private readonly List<JobPortal> _portals = [];

    private JobTestContext(JobHostFixture fixture, TestDatabase db)
    {
        Fixture = fixture;
        Db = db;
        Store = new JobStore(db, TimeProvider.System);
    }

    public JobHostFixture Fixture { get; }

    public TestDatabase Db { get; }

    public JobStore Store { get; }

    public Dictionary<string, Guid> Accounts { get; } = new(StringComparer.Ordinal);

    public static async Task<JobTestContext> CreateAsync(JobHostFixture fixture, int gpus)
    {
        var context = new JobTestContext(fixture, await TestDatabase.CreateAsync());
        foreach (var user in new[] { fixture.Alice, fixture.Bob })
        {
            await JobHostFixture.RemoveAllContainersAsync(user);
            context.Accounts[user.Name] = await context.Db.AddUserAsync(user.Name, user.Uid);
        }

        // Job ids of their own (and so container names and holds): a test never mistakes another test's leftovers
        // for its own jobs, whatever order the tests run in.
        await context.Db.ExecuteAsync(
            $"SELECT setval(pg_get_serial_sequence('\"Jobs\"', 'Id'), {Random.Shared.NextInt64(1_000_000, 1_000_000_000)})");
        var devices = JobHostFixture.GpuUuids.Take(gpus)
            .Select((uuid, i) => new GpuDevice(i, uuid, "Fake GPU", 81920, null, $"{JobHostFixture.GpuDir}/nvidia{i}", []));
        await new GpuStore(context.Db, TimeProvider.System).UpsertGpusAsync(devices);
        return context;
    }

    /// <summary>Starts a portal (the job runner reconciles, then schedules) on this test's database.</summary>
    public JobPortal StartPortal(IReadOnlyDictionary<string, string>? extraSettings = null)
    {
        var portal = new JobPortal(Db.ConnectionString, Fixture.LauncherPath, extraSettings).Start();
        _portals.Add(portal);
        return portal;
    }

    /// <summary>Shuts a portal down the way the service manager does (its containers keep running).</summary>
    public async Task StopPortalAsync(JobPortal portal)
    {
        _portals.Remove(portal);
        await ShutDownAsync(portal);
    }

    public static JobSpec Spec(IReadOnlyList<string> command, int gpus = 0, TimeSpan? walltime = null, string image = JobHostFixture.Image) => new()
    {
        Name = "test",
        Image = image,
        Command = command,
        Gpus = GpuRequest.Any(gpus),
        Cpus = 1,
        MemoryMiB = 512,
        Walltime = walltime ?? TimeSpan.FromMinutes(10),
    };

    public Task<long> SubmitAsync(JobTestUser user, JobSpec spec) => JobStoreFixtures.SubmitAsync(Store, Accounts[user.Name], spec);

    public async Task<Job> JobAsync(long id) => (await Store.FindAsync(id))!.Job;

    /// <summary>The job's state and pending reason from its row alone: one statement, so a consistent pair even while
    /// the runner moves the job (a <see cref="JobStore.GetAsync"/> reads row and history in separate statements).</summary>
    public async Task<(JobState State, PendingReason Reason)> RowAsync(long id)
    {
        await using var db = Db.CreateDbContext();
        var row = await db.Jobs.AsNoTracking().Where(j => j.Id == id).Select(j => new { j.State, j.PendingReason }).SingleAsync();
        return (JobMapper.ToDomain(row.State), JobMapper.ToDomain(row.PendingReason));
    }

    /// <summary>Waits until the job is in <paramref name="state"/>, then reads it whole.</summary>
    public async Task<Job> WaitForStateAsync(long id, JobState state, TimeSpan? within = null)
    {
        await Eventually.UntilAsync(() => RowAsync(id), r => r.State == state, within ?? TimeSpan.FromSeconds(60),
            $"job {id} to be {state}");
        return await JobAsync(id);
    }

    public Task WaitForPendingReasonAsync(long id, PendingReason reason) =>
        Eventually.UntilAsync(() => RowAsync(id), r => r.State == JobState.Queued && r.Reason == reason, TimeSpan.FromSeconds(30),
            $"job {id} to wait with reason {reason}");

    /// <summary>The ledger lines still held (not released), as (GPU, job).</summary>
    public async Task<List<(string Gpu, long Job)>> HeldGpusAsync()
    {
        await using var db = Db.CreateDbContext();
        var rows = await db.GpuAllocations.AsNoTracking().Where(a => a.ReleasedAt == null).ToListAsync();
        return rows.Select(a => (a.GpuUuid, a.JobId)).ToList();
    }

    public async Task<List<GpuAllocation>> AllocationsOfAsync(long jobId)
    {
        await using var db = Db.CreateDbContext();
        return await db.GpuAllocations.AsNoTracking().Where(a => a.JobId == jobId).ToListAsync();
    }

    private static async Task ShutDownAsync(JobPortal portal)
    {
        try
        {
            await portal.DisposeAsync();
        }
        catch (ObjectDisposedException e) when (e.StackTrace?.Contains("NvidiaSmiSampler.DisposeAsync", StringComparison.Ordinal) == true)
        {
            // Known teardown race outside the job runner: the test host and Program's RunAsync both stop the host, and
            // the GPU monitor's sampler is not safe to dispose twice at once. The runner has stopped by then: hosted
            // services stop in reverse order, and it is registered after the monitor.
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var portal in _portals)
            {
                await ShutDownAsync(portal);
            }
        }
        finally
        {
            foreach (var user in new[] { Fixture.Alice, Fixture.Bob })
            {
                await JobHostFixture.RemoveAllContainersAsync(user);
            }

            await Db.DisposeAsync();
        }
    }
}
