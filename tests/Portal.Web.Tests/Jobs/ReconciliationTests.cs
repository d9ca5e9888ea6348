using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Jobs;
using Portal.Launcher.Client;
using Portal.Jobs;

namespace Portal.Web.Tests.Jobs;

/// <summary>Crash safety: what the portal finds after a restart, a crash, or a change behind its back.</summary>
[Collection(JobHostGroup.Name)]
public sealed class ReconciliationTests(JobHostFixture fixture)
{
    [Fact]
    public async Task AfterARestart_ARunningJobIsAdoptedNotDuplicated_AndAJobThatEndedMeanwhileGetsItsExitCode()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 2);
        var first = t.StartPortal();
        var longJob = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sleep", "60"], gpus: 1));
        var shortJob = await t.SubmitAsync(fixture.Bob, JobTestContext.Spec(["sh", "-c", "sleep 3; exit 7"], gpus: 1));
        var running = await t.WaitForStateAsync(longJob, JobState.Running);
        await t.WaitForStateAsync(shortJob, JobState.Running);

        await t.StopPortalAsync(first);
        await Eventually.UntilAsync(() => ContainerStatusAsync(fixture.Bob, shortJob), s => s == "exited",
            TimeSpan.FromSeconds(30), "the short job to end while no portal runs");
        Assert.Equal(JobState.Running, (await t.RowAsync(shortJob)).State);
        t.StartPortal();

        var ended = await t.WaitForStateAsync(shortJob, JobState.Failed);
        Assert.Equal(7, ended.ExitCode);
        var adopted = await t.JobAsync(longJob);
        Assert.Equal(JobState.Running, adopted.State);
        Assert.Equal(running.ContainerId, adopted.ContainerId);
        Assert.Single(await JobHostFixture.ContainersOfJobAsync(fixture.Alice, longJob));
        Assert.Equal([(adopted.AssignedGpuUuids.Single(), longJob)], await t.HeldGpusAsync());
    }

    [Fact]
    public async Task AContainerRemovedBehindThePortalsBack_MakesItsJobLost_AndFreesItsGpu()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 1);
        var first = t.StartPortal();
        var id = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sleep", "60"], gpus: 1));
        await t.WaitForStateAsync(id, JobState.Running);

        // Removed while no portal watches (a running portal could see it exit on the way, and record that instead).
        await t.StopPortalAsync(first);
        var removed = await JobHostFixture.PodmanAsync(fixture.Alice, "rm", "--force", "--time", "0", "portal-job-" + JobRunnerTests.Key(id));
        Assert.True(removed.ExitCode == 0, removed.ToString());
        t.StartPortal();

        var lost = await t.WaitForStateAsync(id, JobState.Lost);
        Assert.Null(lost.ExitCode);
        Assert.Empty(await t.HeldGpusAsync());
        var next = await t.SubmitAsync(fixture.Bob, JobTestContext.Spec(["true"], gpus: 1));
        Assert.Equal(JobHostFixture.GpuUuids[0], (await t.WaitForStateAsync(next, JobState.Succeeded)).AssignedGpuUuids.Single());
    }

    [Fact]
    public async Task AStartingJobWithoutAContainer_AfterACrashBeforeTheLaunch_IsLaunchedExactlyOnce()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 1);
        var id = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sleep", "60"], gpus: 1));
        // The portal committed the start (state and GPU together) and died before asking the launcher.
        Assert.True((await t.Store.CommitStartAsync(id, [JobHostFixture.GpuUuids[0]])).Applied);

        t.StartPortal();

        await t.WaitForStateAsync(id, JobState.Running);
        Assert.Single(await JobHostFixture.ContainersOfJobAsync(fixture.Alice, id));
        Assert.Equal([(JobHostFixture.GpuUuids[0], id)], await t.HeldGpusAsync());
    }

    [Fact]
    public async Task AStartingJobWhoseContainerRuns_AfterACrashAfterTheLaunch_IsAdopted()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 1);
        var spec = JobTestContext.Spec(["sleep", "60"], gpus: 1);
        var id = await t.SubmitAsync(fixture.Alice, spec);
        Assert.True((await t.Store.CommitStartAsync(id, [JobHostFixture.GpuUuids[0]])).Applied);
        // The launcher started the container; the portal died before recording it.
        var started = await Launcher().RunAsync(fixture.Alice.Name, JobRunnerTests.Key(id), JobActions.ToRunSpec(spec, [JobHostFixture.GpuUuids[0]]));

        t.StartPortal();

        var job = await t.WaitForStateAsync(id, JobState.Running);
        Assert.Equal(started.ContainerId, job.ContainerId);
        Assert.Single(await JobHostFixture.ContainersOfJobAsync(fixture.Alice, id));
    }

    [Fact]
    public async Task AContainerOfAJobTheDatabaseDoesNotKnow_IsStoppedAndRemoved()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 1);
        const long Unknown = 987654;
        await Launcher().RunAsync(fixture.Bob.Name, JobRunnerTests.Key(Unknown), JobActions.ToRunSpec(JobTestContext.Spec(["sleep", "60"]), []));
        Assert.Single(await JobHostFixture.ContainersOfJobAsync(fixture.Bob, Unknown));

        t.StartPortal();

        await Eventually.UntilAsync(() => JobHostFixture.ContainersOfJobAsync(fixture.Bob, Unknown), c => c.Count == 0,
            TimeSpan.FromSeconds(30), "the unknown job's container to be removed");
    }

    [Fact]
    public async Task APortalKilledMidLaunch_AndRestarted_LeavesExactlyOneContainerAndAConsistentLedger()
    {
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 1);
        var id = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sleep", "60"], gpus: 1));
        JobHostFixture.HoldLaunches(id);
        try
        {
            await using (var crashing = PortalProcess.Start(t.Db.ConnectionString, fixture.LauncherPath))
            {
                await Eventually.UntilAsync(() => Task.FromResult(JobHostFixture.HeldLaunches(id)), n => n >= 1,
                    TimeSpan.FromSeconds(120), "the first portal's launch to reach podman");
                Assert.Equal(JobState.Starting, (await t.RowAsync(id)).State);

                // SIGKILL while the launcher is inside "podman run": the launch carries on as an orphan.
                await crashing.KillAsync();
            }

            t.StartPortal();
            // The restarted portal launches the job again; both launches are now in podman run, racing for the name.
            await Eventually.UntilAsync(() => Task.FromResult(JobHostFixture.HeldLaunches(id)), n => n >= 2,
                TimeSpan.FromSeconds(60), "the restarted portal to resume the launch");
        }
        finally
        {
            JobHostFixture.ReleaseHold(id);
        }

        var job = await t.WaitForStateAsync(id, JobState.Running);
        var containers = await JobHostFixture.ContainersOfJobAsync(fixture.Alice, id);
        Assert.Single(containers);
        Assert.Equal("running", await ContainerStatusAsync(fixture.Alice, id));
        Assert.StartsWith(await ContainerIdAsync(fixture.Alice, id), job.ContainerId!, StringComparison.Ordinal);
        Assert.Equal([(JobHostFixture.GpuUuids[0], id)], await t.HeldGpusAsync());
        Assert.Single(await t.AllocationsOfAsync(id));
    }

    private ProcessLauncher Launcher() => new(new LauncherOptions { LauncherPath = fixture.LauncherPath, UseSudo = false });

    private static async Task<string> ContainerStatusAsync(JobTestUser user, long id) =>
        (await JobHostFixture.PodmanAsync(user, "inspect", "--format", "{{.State.Status}}", "portal-job-" + JobRunnerTests.Key(id))).Stdout.Trim();

    private static async Task<string> ContainerIdAsync(JobTestUser user, long id) =>
        (await JobHostFixture.PodmanAsync(user, "inspect", "--format", "{{.Id}}", "portal-job-" + JobRunnerTests.Key(id))).Stdout.Trim();
}
