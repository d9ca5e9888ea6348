using Portal.Jobs.Slurm;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Jobs;

namespace Portal.Web.Tests.JobHost;

/// <summary>The one rule the three log readers (job page, download, API) share: when a job has output to read.</summary>
public sealed class JobOutputTests
{
    [Fact]
    public async Task Open_AnotherUsersJob_IsNoSuchJobButAnAdminSeesIt()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var bob = await w.AddOwnerAsync("bob", 5002);
        var id = await w.StartAsync(alice);
        var output = Output(w);

        var asBob = await output.OpenAsync(Reader(bob, "bob"), id, default);
        var asAdmin = await output.OpenAsync(Reader(bob, "bob", admin: true), id, default);

        Assert.Equal(JobLogState.NoSuchJob, asBob.State);
        Assert.Null(asBob.Job);
        Assert.Equal(JobLogState.Available, asAdmin.State);
    }

    [Fact]
    public async Task Open_QueuedJob_HasNoLogYet()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.SubmitAsync(alice);

        var log = await Output(w).OpenAsync(Reader(alice, "alice"), id, default);

        Assert.Equal(JobLogState.NotYet, log.State);
    }

    [Fact]
    public async Task Open_StartingJobWhoseContainerPodmanAlreadyMade_HasNoLogUntilItRuns()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.SubmitAsync(alice);
        await w.CommitStartAsync(id);
        w.Launcher.Put("alice", JobKeys.Format(id), "created");

        var log = await Output(w).OpenAsync(Reader(alice, "alice"), id, default);

        Assert.Equal(JobLogState.NotYet, log.State);
        Assert.DoesNotContain(w.Launcher.Calls, c => c.StartsWith("inspect ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Open_JobThatFailedToLaunch_NeverHasALog()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        w.Launcher.FailNext("run", LauncherFailure.Refused, "no such image");
        var id = await w.StartAsync(alice);

        var log = await Output(w).OpenAsync(Reader(alice, "alice"), id, default);

        Assert.Equal(JobLogState.Never, log.State);
    }

    [Fact]
    public async Task Open_FinishedJobWhoseContainerWasRemoved_IsGone()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.StartAsync(alice);
        w.Launcher.Exit("alice", JobKeys.Format(id), 0);
        await w.Reconciler.RunAsync(cleanUp: false, default);
        w.Clock.Advance(w.Options.KeepFinishedContainers);
        await w.Reconciler.RunAsync(cleanUp: true, default);

        var log = await Output(w).OpenAsync(Reader(alice, "alice"), id, default);

        Assert.Equal(JobLogState.Gone, log.State);
    }

    [Fact]
    public async Task Open_LauncherFails_IsAnErrorNotAMissingLog()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.StartAsync(alice);
        w.Launcher.FailNext("inspect", LauncherFailure.NotStarted, "sudo: a password is required");

        var e = await Assert.ThrowsAsync<LauncherException>(() => Output(w).OpenAsync(Reader(alice, "alice"), id, default));

        Assert.Equal(LauncherFailure.NotStarted, e.Failure);
    }

    [Fact]
    public async Task WaitForLog_QueuedJobThatIsCancelled_EndsWithNever()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.SubmitAsync(alice);
        var output = new JobOutput(w.Store, w.Launcher, LocalOnly(w), TimeProvider.System);
        var waited = 0;

        var log = await output.WaitForLogAsync(Reader(alice, "alice"), id, async () =>
        {
            if (++waited == 1)
            {
                await w.Actions.CancelAsync(id, "alice", default);
            }
        }, default);

        Assert.Equal(JobLogState.Never, log.State);
        Assert.Equal(1, waited);
    }

    private static JobOutput Output(JobHostWorld w) => new(w.Store, w.Launcher, LocalOnly(w), w.Clock);

    // These jobs are all local: the Slurm reader is there but never called (a call would fail: no launcher runs here).
    private static SlurmJobOutput LocalOnly(JobHostWorld w) => new(w.Store, new ProcessLauncher(new LauncherOptions()));

    private static CurrentUser Reader(Guid id, string name, bool admin = false) => new(id, name, admin, name);
}
