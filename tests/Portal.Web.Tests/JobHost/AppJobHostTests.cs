using Portal.Core.Apps;
using Portal.Core.Jobs;
using Portal.Jobs;
using Portal.Launcher.Protocol;
using Portal.Web.Tests.Data;

namespace Portal.Web.Tests.JobHost;

/// <summary>
/// An app is one job to the host, but its launcher calls are the app verbs: the pod is started with app-up, stopped
/// with app-stop, removed with app-remove, and podman's list reports it as one job whose state sums its services.
/// The same paths run against the real launcher and podman in Portal.Launcher.Tests (AppTests) and the browser tests.
/// </summary>
public sealed class AppJobHostTests
{
    private const string File = """
        services:
          db:
            image: localhost/busybox:latest
            command: ["sleep", "600"]
          web:
            image: localhost/busybox:latest
            command: ["sleep", "600"]
            depends_on: [db]
            deploy: {resources: {reservations: {devices: [{count: 1, capabilities: [gpu]}]}}}
        """;

    [Fact]
    public async Task An_app_is_started_with_app_up_and_runs_with_a_container_per_service()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);

        var id = await StartAppAsync(w, alice);

        var job = await w.JobAsync(id);
        Assert.Equal(JobState.Running, job.State);
        Assert.Contains($"app-up alice {JobKeys.Format(id)}", w.Launcher.Calls);
        Assert.DoesNotContain(w.Launcher.Calls, c => c.StartsWith("run ", StringComparison.Ordinal));
        Assert.Equal(["db", "web"], w.Launcher.App("alice", JobKeys.Format(id))!.Select(s => s.Service));
        Assert.Equal([JobHostWorld.Gpu], await w.HeldGpusAsync());
    }

    [Fact]
    public async Task Cancelling_a_running_app_stops_the_whole_pod_and_frees_its_gpu()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await StartAppAsync(w, alice);

        var result = await w.Actions.CancelAsync(id, "alice", default);

        Assert.True(result.Applied, result.Message);
        Assert.Equal(JobState.Cancelled, (await w.JobAsync(id)).State);
        Assert.Contains($"app-stop alice {JobKeys.Format(id)}", w.Launcher.Calls);
        Assert.DoesNotContain(w.Launcher.Calls, c => c.StartsWith("stop ", StringComparison.Ordinal));
        Assert.All(w.Launcher.App("alice", JobKeys.Format(id))!, s => Assert.Equal("exited", s.State));
        Assert.Empty(await w.HeldGpusAsync());
    }

    [Fact]
    public async Task An_app_whose_services_all_ended_is_recorded_with_the_first_failing_exit_code()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await StartAppAsync(w, alice);
        w.Launcher.ExitService("alice", JobKeys.Format(id), "db", 0);
        w.Launcher.ExitService("alice", JobKeys.Format(id), "web", 3);

        await w.Reconciler.RunAsync(cleanUp: false, default);

        var job = await w.JobAsync(id);
        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(3, job.ExitCode);
        Assert.Empty(await w.HeldGpusAsync());
    }

    [Fact]
    public async Task An_app_with_one_service_still_running_is_left_running()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await StartAppAsync(w, alice);
        w.Launcher.ExitService("alice", JobKeys.Format(id), "db", 0);

        await w.Reconciler.RunAsync(cleanUp: false, default);

        Assert.Equal(JobState.Running, (await w.JobAsync(id)).State);
    }

    [Fact]
    public async Task The_pod_of_a_finished_app_is_removed_with_app_remove_after_the_keep_time()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await StartAppAsync(w, alice);
        w.Launcher.ExitService("alice", JobKeys.Format(id), "db", 0);
        w.Launcher.ExitService("alice", JobKeys.Format(id), "web", 0);
        await w.Reconciler.RunAsync(cleanUp: false, default);

        w.Clock.Advance(w.Options.KeepFinishedContainers);
        await w.Reconciler.RunAsync(cleanUp: true, default);

        Assert.Equal(JobState.Succeeded, (await w.JobAsync(id)).State);
        Assert.Null(w.Launcher.App("alice", JobKeys.Format(id)));
        Assert.Contains($"app-rm alice {JobKeys.Format(id)}", w.Launcher.Calls);
        Assert.DoesNotContain(w.Launcher.Calls, c => c.StartsWith("rm ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_starting_app_whose_pod_exists_already_is_adopted_not_started_twice()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var id = await JobStoreFixtures.SubmitAsync(w.Store, alice, AppJob());
        var job = await w.CommitStartAsync(id);
        // An earlier portal's app-up got as far as podman, then the portal died.
        await w.Launcher.AppUpAsync("alice", JobKeys.Format(id), AppRequests.Build(job.Spec, job.AssignedGpuUuids));

        await w.Actions.LaunchAsync(ActiveJob.Starting(job, 1, w.Clock.GetUtcNow()), job.Spec, job.AssignedGpuUuids, default);

        Assert.Equal(JobState.Running, (await w.JobAsync(id)).State);
        Assert.Equal(2, w.Launcher.Calls.Count(c => c.StartsWith("app-up ", StringComparison.Ordinal)));
        Assert.Equal(2, w.Launcher.App("alice", JobKeys.Format(id))!.Count);
    }

    private static JobSpec AppJob() =>
        AppSpecValidator.AsAppJob(AppFileParser.Parse(File).Spec!, new AppSubmission("pair", TimeSpan.FromHours(1)), File);

    private static async Task<long> StartAppAsync(JobHostWorld w, Guid owner)
    {
        var id = await JobStoreFixtures.SubmitAsync(w.Store, owner, AppJob());
        var job = await w.CommitStartAsync(id);
        await w.Actions.LaunchAsync(ActiveJob.Starting(job, job.AssignedGpuUuids.Count, w.Clock.GetUtcNow()), job.Spec, job.AssignedGpuUuids, default);
        return id;
    }
}
