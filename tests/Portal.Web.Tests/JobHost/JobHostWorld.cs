using Microsoft.Extensions.Logging.Abstractions;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Data.Accounts;
using Portal.Data.Jobs;
using Portal.Jobs;
using Portal.Web.Tests.Data;

namespace Portal.Web.Tests.JobHost;

/// <summary>
/// One test's job host: the real stores on a fresh PostgreSQL database, the real <see cref="JobActions"/> and
/// <see cref="Reconciler"/>, a <see cref="FakeLauncher"/> instead of the launcher and podman, and a clock the test
/// moves. No Linux accounts, containers or processes: each decision of the host is one call and a few reads.
/// </summary>
public sealed class JobHostWorld : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, TimeSpan.Zero);

    private JobHostWorld(TestDatabase database, JobRunnerOptions options)
    {
        Database = database;
        Clock = new ManualClock(Start);
        Launcher = new FakeLauncher(Clock);
        Store = new JobStore(database, Clock);
        Options = options;
        Trigger = new SchedulingTrigger(Clock);
        Actions = new JobActions(Store, Launcher, Trigger, Microsoft.Extensions.Options.Options.Create(options), Clock,
            NullLogger<JobActions>.Instance);
        Reconciler = new Reconciler(Store, Launcher, Actions, new UserStore(database), Microsoft.Extensions.Options.Options.Create(options),
            Clock, NullLogger<Reconciler>.Instance);
    }

    public TestDatabase Database { get; }

    public ManualClock Clock { get; }

    public FakeLauncher Launcher { get; }

    public JobStore Store { get; }

    public JobRunnerOptions Options { get; }

    public SchedulingTrigger Trigger { get; }

    internal JobActions Actions { get; }

    internal Reconciler Reconciler { get; }

    /// <summary>The GPU every world has.</summary>
    public static string Gpu => TestDatabase.Gpu(0).Uuid;

    public static async Task<JobHostWorld> CreateAsync(JobRunnerOptions? options = null)
    {
        var world = new JobHostWorld(await TestDatabase.CreateAsync(), options ?? new JobRunnerOptions());
        await new GpuStore(world.Database, world.Clock).UpsertGpusAsync([TestDatabase.Gpu(0)]);
        return world;
    }

    /// <summary>A portal account bound to a Linux account of the same name (nothing is created on the machine).</summary>
    public Task<Guid> AddOwnerAsync(string name, long uid) => Database.AddUserAsync(name, uid);

    public Task<long> SubmitAsync(Guid owner, int gpus = 1) => JobStoreFixtures.SubmitAsync(Store, owner, JobStoreFixtures.Spec(gpus));

    /// <summary>What the runner does for a planned start: commit the job as Starting on the GPUs (none for a CPU job),
    /// then launch it.</summary>
    public async Task<long> StartAsync(Guid owner, int gpus = 1)
    {
        var id = await SubmitAsync(owner, gpus);
        var job = await CommitStartAsync(id, gpus);
        await Actions.LaunchAsync(ActiveJob.Starting(job, job.AssignedGpuUuids.Count, Clock.GetUtcNow()), job.Spec, job.AssignedGpuUuids, default);
        return id;
    }

    /// <summary>Commits the start only, as a portal that stopped before it called the launcher left it.</summary>
    public async Task<Job> CommitStartAsync(long id, int gpus = 1)
    {
        var committed = await Store.CommitStartAsync(id, gpus == 1 ? [Gpu] : []);
        Assert.True(committed.Applied, committed.Message);
        return await JobAsync(id);
    }

    public async Task<Job> JobAsync(long id) => (await Store.FindAsync(id))!.Job;

    /// <summary>The job as the completion watch and the reconciler read it.</summary>
    internal async Task<ActiveJob> ActiveAsync(long id) => ActiveJob.From(await JobAsync(id));

    public async Task<IReadOnlyList<string>> HeldGpusAsync() =>
        [.. (await new GpuStore(Database, Clock).ListGpusAsync()).Where(g => g.HeldByJobId is not null).Select(g => g.Uuid)];

    public ValueTask DisposeAsync() => Database.DisposeAsync();
}
