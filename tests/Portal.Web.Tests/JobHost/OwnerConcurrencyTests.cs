using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Data;
using Portal.Jobs;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.JobHost;

/// <summary>
/// The job runner's scheduling across owners: one owner's launcher call that hangs (podman stuck up to the launcher's
/// deadline) holds only that owner's lane; other owners' jobs start, are cancelled and followed meanwhile.
/// </summary>
public sealed class OwnerConcurrencyTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Portal:Jobs:SchedulingTick"] = "00:00:01",
        ["Portal:Jobs:WatchInterval"] = "00:00:00.5",
        ["Portal:Jobs:ReconcileInterval"] = "00:00:03",
        ["Portal:Jobs:SyncGpuInventory"] = "false",
    };

    [Fact]
    public async Task WhileOneOwnersLaunchHangs_AnotherOwnersJobStartsAndIsCancelled_AndTheHungOneStartsOnceItReturns()
    {
        await using var w = await JobHostWorld.CreateAsync();
        var launcher = new HangingLauncher(w.Launcher, user: "alice", verb: "run");
        await using var host = BuildHost(w, launcher);
        var runner = host.GetRequiredService<JobRunner>();
        var alice = await w.AddOwnerAsync("alice", 5001);
        var bob = await w.AddOwnerAsync("bob", 5002);
        var alices = await w.SubmitAsync(alice, gpus: 0);

        await runner.StartAsync(CancellationToken.None);
        try
        {
            runner.RequestPass(SchedulingCause.JobSubmitted);
            await launcher.Entered.Task.WaitAsync(TimeSpan.FromSeconds(60));
            var bobs = await w.SubmitAsync(bob, gpus: 0);
            runner.RequestPass(SchedulingCause.JobSubmitted);

            await Eventually.UntilAsync(() => w.JobAsync(bobs), j => j.State == JobState.Running, TimeSpan.FromSeconds(30),
                "Bob's job to start while Alice's launch hangs");
            var cancelled = await runner.CancelAsync(bobs, "bob").WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(cancelled.Applied, cancelled.Message);
            Assert.Equal(JobState.Starting, (await w.JobAsync(alices)).State);
            // Still inside the hanging call (the fake records a run once it goes through), and not launched again.
            Assert.DoesNotContain(w.Launcher.Calls, c => c.StartsWith("run alice ", StringComparison.Ordinal));

            launcher.Return();
            await Eventually.UntilAsync(() => w.JobAsync(alices), j => j.State == JobState.Running, TimeSpan.FromSeconds(30),
                "Alice's job to be Running once her launch returned");
            Assert.Single(w.Launcher.Calls, c => c.StartsWith("run alice ", StringComparison.Ordinal));
            Assert.Equal(JobState.Cancelled, (await w.JobAsync(bobs)).State);
        }
        finally
        {
            launcher.Return();
            await runner.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public void Options_OwnerConcurrencyOutOfRange_IsRefusedAtStart()
    {
        var result = new JobRunnerOptionsValidator().Validate(null, new JobRunnerOptions { OwnerConcurrency = 0 });

        Assert.True(result.Failed);
        Assert.Contains("OwnerConcurrency is 0", result.FailureMessage, StringComparison.Ordinal);
    }

    /// <summary>The job host as the portal registers it, on the world's database and the given launcher.</summary>
    private static ServiceProvider BuildHost(JobHostWorld w, ILauncher launcher)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton<IDbContextFactory<PortalDbContext>>(w.Database);
        services.AddPortalStores();
        services.AddSingleton(launcher);
        services.AddSingleton<JobMetrics>();
        services.AddJobRunner(configuration);
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// The fake launcher, except that one verb for one user hangs (as a podman stuck on its database would, up to the
    /// launcher's deadline) until the test lets it return; then the call goes through as usual.
    /// </summary>
    private sealed class HangingLauncher(FakeLauncher inner, string user, string verb) : ILauncher
    {
        private readonly TaskCompletionSource _return = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when the hanging call has been made.</summary>
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Return() => _return.TrySetResult();

        public async Task<StartedJob> RunAsync(string user, string job, RunSpec spec, CancellationToken cancellationToken = default)
        {
            await HangAsync("run", user, cancellationToken);
            return await inner.RunAsync(user, job, spec, cancellationToken);
        }

        public async Task<CgroupState?> StopAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default)
        {
            await HangAsync("stop", user, cancellationToken);
            return await inner.StopAsync(user, job, gracePeriod, cancellationToken);
        }

        public async Task RemoveAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default)
        {
            await HangAsync("rm", user, cancellationToken);
            await inner.RemoveAsync(user, job, gracePeriod, cancellationToken);
        }

        public async Task<CgroupState?> ReleaseAsync(string user, string job, CancellationToken cancellationToken = default)
        {
            await HangAsync("release", user, cancellationToken);
            return await inner.ReleaseAsync(user, job, cancellationToken);
        }

        public async Task<ContainerState> InspectAsync(string user, string job, CancellationToken cancellationToken = default)
        {
            await HangAsync("inspect", user, cancellationToken);
            return await inner.InspectAsync(user, job, cancellationToken);
        }

        public async Task<IReadOnlyList<ContainerState>> ListAsync(string user, CancellationToken cancellationToken = default)
        {
            await HangAsync("list", user, cancellationToken);
            return await inner.ListAsync(user, cancellationToken);
        }

        public async Task<UserJobs> ListJobsAsync(string user, CancellationToken cancellationToken = default)
        {
            await HangAsync("list", user, cancellationToken);
            return await inner.ListJobsAsync(user, cancellationToken);
        }

        public Task<IReadOnlyList<ImageInfo>> ImagesAsync(string user, CancellationToken cancellationToken = default) =>
            inner.ImagesAsync(user, cancellationToken);

        public IAsyncEnumerable<LogLine> StreamLogsAsync(string user, string job, LogsSpec options, CancellationToken cancellationToken = default) =>
            inner.StreamLogsAsync(user, job, options, cancellationToken);

        public Task<IReadOnlyList<CheckItem>> CheckAsync(string? user, CancellationToken cancellationToken = default) =>
            inner.CheckAsync(user, cancellationToken);

        public Task<IReadOnlyList<string>?> PolicyGpusAsync(CancellationToken cancellationToken = default) => inner.PolicyGpusAsync(cancellationToken);

        public Task<SelfTest?> SelfTestAsync(CancellationToken cancellationToken = default) => inner.SelfTestAsync(cancellationToken);

        public Task<ProcessKill> KillGpuProcessAsync(string user, ProcessSpec process, CancellationToken cancellationToken = default) =>
            inner.KillGpuProcessAsync(user, process, cancellationToken);

        public Task<StartedJob> AppUpAsync(string user, string job, AppSpec app, CancellationToken cancellationToken = default) =>
            inner.AppUpAsync(user, job, app, cancellationToken);

        public Task<CgroupState?> AppStopAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) =>
            inner.AppStopAsync(user, job, gracePeriod, cancellationToken);

        public Task AppRemoveAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) =>
            inner.AppRemoveAsync(user, job, gracePeriod, cancellationToken);

        public Task<IReadOnlyList<ContainerState>> AppInspectAsync(string user, string job, CancellationToken cancellationToken = default) =>
            inner.AppInspectAsync(user, job, cancellationToken);

        public Task<string> AppExportAsync(string user, string job, CancellationToken cancellationToken = default) =>
            inner.AppExportAsync(user, job, cancellationToken);

        private async Task HangAsync(string calledVerb, string calledUser, CancellationToken cancellationToken)
        {
            if (calledVerb == verb && calledUser == user)
            {
                Entered.TrySetResult();
                await _return.Task.WaitAsync(cancellationToken);
            }
        }
    }
}
