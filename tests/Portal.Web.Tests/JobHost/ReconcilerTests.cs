using Portal.Core.Jobs;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;

namespace Portal.Web.Tests.JobHost;

/// <summary>
/// Reconciliation at the launcher boundary: what the database says against what podman reports, for each owner,
/// with a <see cref="FakeLauncher"/> standing in for podman.
/// </summary>
public sealed class ReconcilerTests
{
    [Fact]
    public async Task Reconcile_ContainerOfAFinishedJob_IsKeptForItsLogThenRemoved()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.StartAsync(alice);
        w.Launcher.Exit("alice", JobKeys.Format(id), 0);
        await w.Reconciler.RunAsync(cleanUp: false, default);

        await w.Reconciler.RunAsync(cleanUp: true, default);
        var kept = w.Launcher.Container("alice", JobKeys.Format(id));
        w.Clock.Advance(w.Options.KeepFinishedContainers);
        await w.Reconciler.RunAsync(cleanUp: true, default);

        Assert.Equal(JobState.Succeeded, (await w.JobAsync(id)).State);
        Assert.NotNull(kept);
        Assert.Null(w.Launcher.Container("alice", JobKeys.Format(id)));
    }

    [Fact]
    public async Task Reconcile_ContainerStillRunningForAFinishedJob_IsStoppedAndRemoved()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.SubmitAsync(alice);
        await w.Actions.CancelAsync(id, "alice", default);
        // A container of the job that the database never saw start (say, a launch of a portal restored from backup).
        w.Launcher.Put("alice", JobKeys.Format(id), "running");

        await w.Reconciler.RunAsync(cleanUp: true, default);

        Assert.Null(w.Launcher.Container("alice", JobKeys.Format(id)));
    }

    [Fact]
    public async Task Reconcile_ContainerOfAJobTheDatabaseDoesNotKnow_IsRemovedButOnlyWhenCleaningUp()
    {
        await using var w = await JobHostWorld.CreateAsync();
        await w.AddOwnerAsync("alice", 5001);
        w.Launcher.Put("alice", "999999", "running");

        await w.Reconciler.RunAsync(cleanUp: false, default);
        var afterWatch = w.Launcher.Container("alice", "999999");
        await w.Reconciler.RunAsync(cleanUp: true, default);

        Assert.NotNull(afterWatch);
        Assert.Null(w.Launcher.Container("alice", "999999"));
    }

    [Fact]
    public async Task Reconcile_HostCheckContainer_IsLeftToTheCheckUntilItIsLongOverdue()
    {
        await using var w = await JobHostWorld.CreateAsync();
        await w.AddOwnerAsync("alice", 5001);
        string key = JobKeys.HostCheckPrefix + "0a1b2c3d4e5f";
        w.Launcher.Put("alice", key, "running");

        await w.Reconciler.RunAsync(cleanUp: true, default);
        var whileChecking = w.Launcher.Container("alice", key);
        w.Clock.Advance(TimeSpan.FromMinutes(11));
        await w.Reconciler.RunAsync(cleanUp: true, default);

        Assert.NotNull(whileChecking);
        Assert.Null(w.Launcher.Container("alice", key));
    }

    [Fact]
    public async Task Reconcile_ListFails_TheOwnersJobsAreLeftAsTheyAre()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.StartAsync(alice);
        w.Launcher.Exit("alice", JobKeys.Format(id), 0);
        w.Launcher.FailNext("list", LauncherFailure.TimedOut, "the launcher did not answer in time");

        await w.Reconciler.RunAsync(cleanUp: true, default);
        var afterFailure = (await w.JobAsync(id)).State;
        await w.Reconciler.RunAsync(cleanUp: true, default);

        Assert.Equal(JobState.Running, afterFailure);
        Assert.Equal(JobState.Succeeded, (await w.JobAsync(id)).State);
    }

    [Fact]
    public async Task Reconcile_ContainerThatStartedBeforeItsJobWasSubmitted_IsRemovedAndTheJobLaunchedAfresh()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.SubmitAsync(alice);
        await w.CommitStartAsync(id);
        // Left by an earlier database's job with the same id; it also holds the job's container name.
        var stale = w.Launcher.Put("alice", JobKeys.Format(id), "running", startedAt: JobHostWorld.Start - TimeSpan.FromDays(3));

        await w.Reconciler.RunAsync(cleanUp: false, default);

        var job = await w.JobAsync(id);
        Assert.Equal(JobState.Running, job.State);
        Assert.NotEqual(stale.Id, job.ContainerId);
        Assert.Equal(job.ContainerId, w.Launcher.Container("alice", JobKeys.Format(id))!.Id);
    }

    [Fact]
    public async Task Reconcile_StartingJobWhoseContainerRuns_IsAdoptedWithoutASecondLaunch()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.SubmitAsync(alice);
        await w.CommitStartAsync(id);
        var running = w.Launcher.Put("alice", JobKeys.Format(id), "running");

        await w.Reconciler.RunAsync(cleanUp: true, default);

        var job = await w.JobAsync(id);
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal(running.Id, job.ContainerId);
        Assert.DoesNotContain(w.Launcher.Calls, c => c.StartsWith("run ", StringComparison.Ordinal));
    }
}
