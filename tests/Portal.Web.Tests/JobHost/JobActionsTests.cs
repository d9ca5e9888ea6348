using Portal.Core.Jobs;
using Portal.Data.Jobs;
using Portal.Jobs;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;

namespace Portal.Web.Tests.JobHost;

/// <summary>
/// The job host's decisions at the launcher boundary (launch, follow, walltime, cancel), each branch driven by a
/// <see cref="FakeLauncher"/> answering as podman would. The same paths run end to end against the real launcher
/// and podman in <c>Portal.Web.Tests.Jobs</c>; these cover the branches a real container cannot be made to take
/// on demand.
/// </summary>
public sealed class JobActionsTests
{
    [Fact]
    public async Task Launch_LauncherRefuses_JobFailsWithTheMessageAndFreesItsGpu()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        w.Launcher.FailNext("run", LauncherFailure.Refused, "GPU GPU-0000-test is not in the policy");

        var id = await w.StartAsync(alice);

        var job = await w.JobAsync(id);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Null(job.ExitCode);
        Assert.Contains("not in the policy", job.History[^1].Detail, StringComparison.Ordinal);
        Assert.Empty(await w.HeldGpusAsync());
        Assert.Contains($"release alice {id}", w.Launcher.Calls);
    }

    [Fact]
    public async Task Launch_FailsAfterPodmanCreatedTheContainer_ContainerIsRemovedAndJobFails()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.SubmitAsync(alice);
        var job = await w.CommitStartAsync(id);
        // The runtime refused to start what podman had created.
        w.Launcher.Put("alice", JobKeys.Format(id), "created");
        w.Launcher.FailNext("run", message: "OCI runtime error");

        await w.Actions.LaunchAsync(ActiveJob.Starting(job, 1, w.Clock.GetUtcNow()), job.Spec, job.AssignedGpuUuids, default);

        Assert.Equal(JobState.Failed, (await w.JobAsync(id)).State);
        Assert.Null(w.Launcher.Container("alice", JobKeys.Format(id)));
        Assert.Empty(await w.HeldGpusAsync());
    }

    [Fact]
    public async Task Launch_ContainerNameAlreadyInUse_AdoptsTheRunningContainer()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.SubmitAsync(alice);
        var job = await w.CommitStartAsync(id);
        // An earlier portal's launch of this job got as far as podman, then the portal died.
        var earlier = w.Launcher.Put("alice", JobKeys.Format(id), "running");

        await w.Actions.LaunchAsync(ActiveJob.Starting(job, 1, w.Clock.GetUtcNow()), job.Spec, job.AssignedGpuUuids, default);

        var adopted = await w.JobAsync(id);
        Assert.Equal(JobState.Running, adopted.State);
        Assert.Equal(earlier.Id, adopted.ContainerId);
        Assert.Single(w.Launcher.Calls, c => c.StartsWith("run ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Follow_RunningJobWhoseContainerVanished_IsLostAndFreesItsGpu()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.StartAsync(alice);
        w.Launcher.Forget("alice", JobKeys.Format(id));
        w.Launcher.EndProcesses("alice", JobKeys.Format(id));

        var ended = await w.Actions.FollowAsync(await w.ActiveAsync(id), container: null, w.Launcher.Cgroup("alice", JobKeys.Format(id)), default);

        Assert.True(ended);
        Assert.Equal(JobState.Lost, (await w.JobAsync(id)).State);
        Assert.Empty(await w.HeldGpusAsync());
        Assert.Null(w.Launcher.Cgroup("alice", JobKeys.Format(id)));
    }

    [Fact]
    public async Task Follow_JobOomKilledInItsCgroup_EndsFailedOutOfMemory_WithWhatItsCgroupCounted()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.StartAsync(alice);
        var key = JobKeys.Format(id);
        var memoryMiB = (await w.JobAsync(id)).Spec.MemoryMiB;
        w.Launcher.OomKill("alice", key);

        var ended = await w.Actions.FollowAsync(await w.ActiveAsync(id), w.Launcher.Container("alice", key), w.Launcher.Cgroup("alice", key), default);

        Assert.True(ended);
        var details = (await w.Store.FindAsync(id))!;
        Assert.Equal(JobState.Failed, details.Job.State);
        Assert.Equal(137, details.Job.ExitCode);
        Assert.Equal($"out of memory: limit {memoryMiB} MiB", details.Job.History[^1].Detail);
        Assert.Equal(new JobResourceUsage(0, memoryMiB << 20, 1), details.Usage);
        Assert.Empty(await w.HeldGpusAsync());
    }

    [Fact]
    public async Task Follow_RunningJobPodmanNoLongerKnows_WhileItsCgroupHoldsProcesses_StaysRunningWithItsGpu()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.StartAsync(alice);
        // Podman's database hidden or replaced: no container, but the kernel still has the job's processes.
        w.Launcher.Forget("alice", JobKeys.Format(id));

        var ended = await w.Actions.FollowAsync(await w.ActiveAsync(id), container: null, w.Launcher.Cgroup("alice", JobKeys.Format(id)), default);
        await w.Reconciler.RunAsync(cleanUp: true, default);

        Assert.False(ended);
        Assert.Equal(JobState.Running, (await w.JobAsync(id)).State);
        Assert.Equal([JobHostWorld.Gpu], await w.HeldGpusAsync());
        Assert.DoesNotContain(w.Launcher.Calls, c => c.StartsWith("release ", StringComparison.Ordinal) || c.StartsWith("stop ", StringComparison.Ordinal));
        Assert.True(w.Launcher.Cgroup("alice", JobKeys.Format(id))!.Populated);
    }

    [Fact]
    public async Task Follow_CommandEndedWithAProcessLeftInItsCgroup_EndsOnlyOnceTheStopHasEmptiedIt()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.StartAsync(alice);
        var key = JobKeys.Format(id);
        w.Launcher.Exit("alice", key, 0, leaveProcess: true);
        w.Launcher.FailNext("stop", message: "processes of the job are still alive");

        var first = await w.Actions.FollowAsync(await w.ActiveAsync(id), w.Launcher.Container("alice", key), w.Launcher.Cgroup("alice", key), default);
        var whileLeft = await w.HeldGpusAsync();
        var second = await w.Actions.FollowAsync(await w.ActiveAsync(id), w.Launcher.Container("alice", key), w.Launcher.Cgroup("alice", key), default);

        Assert.False(first);
        Assert.Equal([JobHostWorld.Gpu], whileLeft);
        Assert.True(second);
        var job = await w.JobAsync(id);
        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal(0, job.ExitCode);
        Assert.Empty(await w.HeldGpusAsync());
        var calls = w.Launcher.Calls.Where(c => c.EndsWith(" " + key, StringComparison.Ordinal)).ToList();
        Assert.Equal(["run alice " + key, "stop alice " + key, "inspect alice " + key, "stop alice " + key, "release alice " + key], calls);
    }

    [Fact]
    public async Task Follow_StartingJobWithoutAContainer_IsLaunchedAgainOnce()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.SubmitAsync(alice);
        // The portal stopped between committing the start and calling the launcher.
        await w.CommitStartAsync(id);

        var ended = await w.Actions.FollowAsync(await w.ActiveAsync(id), container: null, cgroup: null, default);

        Assert.False(ended);
        Assert.Equal(JobState.Running, (await w.JobAsync(id)).State);
        Assert.NotNull(w.Launcher.Container("alice", JobKeys.Format(id)));
        Assert.Single(w.Launcher.Calls, c => c.StartsWith("run ", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(0, JobState.Succeeded)]
    [InlineData(3, JobState.Failed)]
    public async Task Follow_ContainerExited_RecordsItsExitCode(int exitCode, JobState expected)
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.StartAsync(alice);
        w.Launcher.Exit("alice", JobKeys.Format(id), exitCode);

        var ended = await w.Actions.FollowAsync(await w.ActiveAsync(id), w.Launcher.Container("alice", JobKeys.Format(id)), w.Launcher.Cgroup("alice", JobKeys.Format(id)), default);

        Assert.True(ended);
        var job = await w.JobAsync(id);
        Assert.Equal(expected, job.State);
        Assert.Equal(exitCode, job.ExitCode);
        Assert.Empty(await w.HeldGpusAsync());
    }

    [Fact]
    public async Task Follow_ContainerStuckInCreated_IsGivenUpOnlyAfterTheTimeout()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.SubmitAsync(alice);
        await w.CommitStartAsync(id);
        var stuck = w.Launcher.Put("alice", JobKeys.Format(id), "created");

        var early = await w.Actions.FollowAsync(await w.ActiveAsync(id), stuck, stuck.Cgroup, default);
        w.Clock.Advance(w.Options.StuckLaunchTimeout + TimeSpan.FromSeconds(1));
        var late = await w.Actions.FollowAsync(await w.ActiveAsync(id), stuck, stuck.Cgroup, default);

        Assert.False(early);
        Assert.True(late);
        var job = await w.JobAsync(id);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Contains("never started", job.History[^1].Detail, StringComparison.Ordinal);
        Assert.Null(w.Launcher.Container("alice", JobKeys.Format(id)));
    }

    [Fact]
    public async Task TimeOut_StopFailsWhileTheContainerRuns_JobKeepsRunningAndHoldsItsGpu()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.StartAsync(alice);
        w.Launcher.FailNext("stop", message: "podman stop timed out");

        await w.Actions.TimeOutAsync(await w.ActiveAsync(id), default);

        Assert.Equal(JobState.Running, (await w.JobAsync(id)).State);
        Assert.Equal([JobHostWorld.Gpu], await w.HeldGpusAsync());
    }

    [Fact]
    public async Task TimeOut_StopFailsButTheContainerHadEnded_JobTimesOut()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.StartAsync(alice);
        w.Launcher.Exit("alice", JobKeys.Format(id), 0);
        w.Launcher.FailNext("stop");

        await w.Actions.TimeOutAsync(await w.ActiveAsync(id), default);

        Assert.Equal(JobState.TimedOut, (await w.JobAsync(id)).State);
        Assert.Empty(await w.HeldGpusAsync());
    }

    [Fact]
    public async Task Cancel_QueuedJob_IsWithdrawnWithoutCallingTheLauncher()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.SubmitAsync(alice);

        var result = await w.Actions.CancelAsync(id, "alice", default);

        Assert.True(result.Applied);
        var job = await w.JobAsync(id);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.Equal("cancelled by alice", job.History[^1].Detail);
        Assert.Empty(w.Launcher.Calls);
    }

    [Fact]
    public async Task Cancel_RunningJob_IsStoppedAsItsOwnerAndKeepsItsContainerForTheLog()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.StartAsync(alice);

        var result = await w.Actions.CancelAsync(id, "root-admin", default);

        Assert.True(result.Applied);
        Assert.Equal(JobState.Cancelled, (await w.JobAsync(id)).State);
        Assert.Contains($"stop alice {JobKeys.Format(id)}", w.Launcher.Calls);
        Assert.Equal("exited", w.Launcher.Container("alice", JobKeys.Format(id))!.State);
        Assert.Empty(await w.HeldGpusAsync());
    }

    [Fact]
    public async Task Cancel_JobThatEndedBeforeTheCancelRan_IsRefusedAsEnded()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.StartAsync(alice);
        // The completion watch recorded the exit between the request and the runner's turn.
        w.Launcher.Exit("alice", JobKeys.Format(id), 0);
        await w.Actions.FollowAsync(await w.ActiveAsync(id), w.Launcher.Container("alice", JobKeys.Format(id)), w.Launcher.Cgroup("alice", JobKeys.Format(id)), default);

        var result = await w.Actions.CancelAsync(id, "alice", default);

        Assert.Equal(JobChangeStatus.WrongState, result.Status);
        Assert.Contains("ended already", result.Message, StringComparison.Ordinal);
        Assert.Equal(JobState.Succeeded, (await w.JobAsync(id)).State);
    }

    [Fact]
    public async Task Cancel_StopFailsWhileTheContainerRuns_JobKeepsRunningAndTheCallerIsTold()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await w.StartAsync(alice);
        w.Launcher.FailNext("stop", message: "podman stop timed out");

        var result = await w.Actions.CancelAsync(id, "alice", default);

        Assert.Equal(JobChangeStatus.WrongState, result.Status);
        Assert.Contains("podman stop timed out", result.Message, StringComparison.Ordinal);
        Assert.Equal(JobState.Running, (await w.JobAsync(id)).State);
        Assert.Equal([JobHostWorld.Gpu], await w.HeldGpusAsync());
    }

    [Fact]
    public async Task Cancel_UnknownJob_IsNotFound()
    {
        await using var w = await JobHostWorld.CreateAsync();

        var result = await w.Actions.CancelAsync(424242, "alice", default);

        Assert.Equal(JobChangeStatus.NotFound, result.Status);
    }
}
