using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Launcher.Client;
using Portal.Jobs;

namespace Portal.Web.Tests.Jobs;

/// <summary>The job runner against real PostgreSQL, the real launcher and real podman, as real users.</summary>
[Collection(JobHostGroup.Name)]
public sealed class JobRunnerTests(JobHostFixture fixture)
{
    [Fact]
    public async Task TwoUsersJobs_RunUnderTheirOwnUids_AndSucceed()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 2);
        var portal = t.StartPortal();
        var aliceJob = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sleep", "4"], gpus: 1));
        var bobJob = await t.SubmitAsync(fixture.Bob, JobTestContext.Spec(["sleep", "4"], gpus: 1));
        portal.Services.GetRequiredService<JobRunner>().RequestPass(SchedulingCause.JobSubmitted);

        var launcher = portal.Services.GetRequiredService<ILauncher>();
        foreach (var (user, id) in new[] { (fixture.Alice, aliceJob), (fixture.Bob, bobJob) })
        {
            var running = await t.WaitForStateAsync(id, JobState.Running);
            var container = await launcher.InspectAsync(user.Name, Key(id));
            Assert.Equal("running", container.State);
            Assert.StartsWith(running.ContainerId!, container.Id!, StringComparison.Ordinal);
            var uids = StatusField(container.Pid!.Value, "Uid");
            Assert.All(uids, uid => Assert.Equal(user.Uid.ToString(CultureInfo.InvariantCulture), uid));
        }

        Assert.NotEqual((await t.AllocationsOfAsync(aliceJob)).Single().GpuUuid, (await t.AllocationsOfAsync(bobJob)).Single().GpuUuid);
        foreach (var id in new[] { aliceJob, bobJob })
        {
            var done = await t.WaitForStateAsync(id, JobState.Succeeded);
            Assert.Equal(0, done.ExitCode);
        }

        Assert.Empty(await t.HeldGpusAsync());
    }

    [Fact]
    public async Task WithOneGpu_ASecondGpuJobWaitsForResources_AndStartsWhenTheFirstEnds()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 1);
        t.StartPortal();
        // The first job runs until the test lets it end, so the wait is observed whatever the machine's load.
        var first = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sh", "-c", "until [ -e /tmp/done ]; do sleep 0.2; done"], gpus: 1));
        await t.WaitForStateAsync(first, JobState.Running);
        var second = await t.SubmitAsync(fixture.Bob, JobTestContext.Spec(["true"], gpus: 1));

        await t.WaitForPendingReasonAsync(second, PendingReason.Resources);
        var done = await JobHostFixture.PodmanAsync(fixture.Alice, "exec", "portal-job-" + Key(first), "touch", "/tmp/done");
        Assert.True(done.ExitCode == 0, done.ToString());

        await t.WaitForStateAsync(first, JobState.Succeeded);
        var started = await t.WaitForStateAsync(second, JobState.Succeeded);
        Assert.Equal(JobHostFixture.GpuUuids[0], started.AssignedGpuUuids.Single());
        var firstEnd = (await t.AllocationsOfAsync(first)).Single().ReleasedAt!.Value;
        Assert.True((await t.AllocationsOfAsync(second)).Single().AllocatedAt >= firstEnd, "the GPU was handed out before it was released");
        Assert.Empty(await t.HeldGpusAsync());
    }

    [Fact]
    public async Task AFailingCommand_EndsFailed_WithItsExitCode()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 1);
        t.StartPortal();
        var id = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sh", "-c", "exit 3"], gpus: 1));

        var job = await t.WaitForStateAsync(id, JobState.Failed);

        Assert.Equal(3, job.ExitCode);
        Assert.Empty(await t.HeldGpusAsync());
        // Kept (Portal:Jobs:KeepFinishedContainers): the job's output lives in its container.
        Assert.Single(await JobHostFixture.ContainersOfJobAsync(fixture.Alice, id));
    }

    [Fact]
    public async Task AJobPastItsWalltime_IsStoppedAndEndsTimedOut()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 1);
        var portal = t.StartPortal();
        var id = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sleep", "60"], gpus: 1, walltime: TimeSpan.FromSeconds(3)));

        var job = await t.WaitForStateAsync(id, JobState.TimedOut, TimeSpan.FromSeconds(40));

        Assert.True(job.EndedAt - job.StartedAt < TimeSpan.FromSeconds(20), $"stopped only after {job.EndedAt - job.StartedAt}");
        var container = await portal.Services.GetRequiredService<ILauncher>().InspectAsync(fixture.Alice.Name, Key(id));
        Assert.NotEqual("running", container.State);
        Assert.Empty(await t.HeldGpusAsync());
    }

    [Fact]
    public async Task ALaunchTheLauncherRefuses_EndsFailedWithItsMessage_AndLeavesNoContainer()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 1);
        t.StartPortal();
        var id = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["true"], gpus: 1, image: "localhost/no-such-image:latest"));

        var job = await t.WaitForStateAsync(id, JobState.Failed);

        Assert.Null(job.ExitCode);
        var detail = job.History[^1].Detail;
        Assert.NotNull(detail);
        Assert.Contains("no-such-image", detail, StringComparison.Ordinal);
        Assert.Empty(await JobHostFixture.ContainersOfJobAsync(fixture.Alice, id));
        Assert.Empty(await t.HeldGpusAsync());
    }

    [Fact]
    public async Task CancellingAStartedJob_StopsItAsItsOwner_AndReleasesItsGpu_AndAQueuedOneIsWithdrawn()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 1);
        var portal = t.StartPortal();
        var runner = portal.Services.GetRequiredService<JobRunner>();
        var running = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sleep", "60"], gpus: 1));
        await t.WaitForStateAsync(running, JobState.Running);
        var queued = await t.SubmitAsync(fixture.Bob, JobTestContext.Spec(["sleep", "60"], gpus: 1));
        await t.WaitForPendingReasonAsync(queued, PendingReason.Resources);

        var withdrawn = await runner.CancelAsync(queued, "bob");
        var stopped = await runner.CancelAsync(running, "alice");

        Assert.True(withdrawn.Applied, withdrawn.Message);
        Assert.True(stopped.Applied, stopped.Message);
        Assert.Equal(JobState.Cancelled, (await t.JobAsync(queued)).State);
        var job = await t.JobAsync(running);
        Assert.Equal(JobState.Cancelled, job.State);
        Assert.Equal("cancelled by alice", job.History[^1].Detail);
        var container = await portal.Services.GetRequiredService<ILauncher>().InspectAsync(fixture.Alice.Name, Key(running));
        Assert.NotEqual("running", container.State);
        Assert.Empty(await t.HeldGpusAsync());
        Assert.Equal(Portal.Data.Jobs.JobChangeStatus.WrongState, (await runner.CancelAsync(running, "alice")).Status);
    }

    internal static string Key(long id) => id.ToString(CultureInfo.InvariantCulture);

    /// <summary>The values of one field line ("Uid:", "Gid:") of /proc/&lt;pid&gt;/status.</summary>
    internal static string[] StatusField(int pid, string field) =>
        File.ReadAllLines($"/proc/{pid}/status").Single(l => l.StartsWith(field + ":", StringComparison.Ordinal))[(field.Length + 1)..]
            .Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
}
