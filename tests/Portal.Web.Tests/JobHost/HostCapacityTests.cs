using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Core.Accounts;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Data;
using Portal.Jobs;
using Portal.Launcher.Client;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.JobForms;
using Portal.Web.Services.Jobs;
using Portal.Web.Services.Slurm;
using Portal.Web.Tests.Data;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.JobHost;

/// <summary>The box's CPU cores and memory (Portal:Jobs:Capacity) as the job host and the submit path use them.</summary>
public sealed class HostCapacityTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Portal:Jobs:SchedulingTick"] = "00:00:01",
        ["Portal:Jobs:WatchInterval"] = "00:00:00.5",
        ["Portal:Jobs:ReconcileInterval"] = "00:00:03",
        ["Portal:Jobs:SyncGpuInventory"] = "false",
        ["Portal:Jobs:Capacity:Cpus"] = "3",
        ["Portal:Jobs:Capacity:MemoryMiB"] = "65536",
    };

    [Fact]
    public async Task Runner_WithACapacity_StartsCpuJobsOnlyWhileTheirCoresFit()
    {
        await using var w = await JobHostWorld.CreateAsync();
        await using var host = BuildHost(w);
        var runner = host.GetRequiredService<JobRunner>();
        var first = await w.SubmitAsync(await w.AddOwnerAsync("alice", 5001), gpus: 0);
        var second = await w.SubmitAsync(await w.AddOwnerAsync("bob", 5002), gpus: 0);

        await runner.StartAsync(CancellationToken.None);
        try
        {
            runner.RequestPass(SchedulingCause.JobSubmitted);
            // Each asks for 2 of the box's 3 cores: one runs, the other waits for cores, not for a GPU or a quota.
            var waiting = await Eventually.UntilAsync(
                async () => (await w.JobAsync(first), await w.JobAsync(second)),
                jobs => jobs.Item1.State == JobState.Running && jobs.Item2.PendingReason == PendingReason.Resources,
                TimeSpan.FromSeconds(60), "the first job to run and the second to wait for resources");

            Assert.Equal(JobState.Queued, waiting.Item2.State);
        }
        finally
        {
            await runner.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Submit_MoreCoresThanTheBoxGivesJobs_IsRefusedWithAFieldMessage()
    {
        await using var w = await JobHostWorld.CreateAsync();
        await using var host = BuildHost(w);
        var alice = await w.AddOwnerAsync("alice", 5001);
        var submissions = new JobSubmissions(w.Store, new MountRootResolver(Options.Create(new MountRootOptions()), new NoAccounts()),
            host.GetRequiredService<JobRunner>(), host.GetRequiredService<IOptions<JobRunnerOptions>>(),
            new ClusterCapacitySource(Options.Create(new JobBackendOptions()), host));
        var spec = JobStoreFixtures.Spec(gpus: 0) with { Cpus = 4 };

        var result = await submissions.SubmitAsync(new CurrentUser(alice, "alice", IsAdmin: false, LinuxUserName: null), spec, default);

        Assert.False(result.Accepted);
        var error = Assert.Single(result.Errors);
        Assert.Equal(nameof(JobSpec.Cpus), error.Field);
        Assert.Contains("this machine gives jobs 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_CapacityWithCoresButNoMemory_IsRefusedAtStart()
    {
        var options = new JobRunnerOptions { Capacity = new JobCapacityOptions { Cpus = 8 } };

        var result = new JobRunnerOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains("Capacity needs both Cpus and MemoryMiB", result.FailureMessage, StringComparison.Ordinal);
    }

    /// <summary>The job host as the portal registers it, on the world's database and fake launcher.</summary>
    private static ServiceProvider BuildHost(JobHostWorld w)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(Settings).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddMetrics();
        services.AddSingleton<IDbContextFactory<PortalDbContext>>(w.Database);
        services.AddPortalStores();
        services.AddSingleton<ILauncher>(w.Launcher);
        services.AddSingleton<JobMetrics>();
        services.AddJobRunner(configuration);
        return services.BuildServiceProvider();
    }

    private sealed class NoAccounts : ILinuxAccountDirectory
    {
        public Task<LinuxAccount?> FindByNameAsync(string name, CancellationToken cancellationToken) => Task.FromResult<LinuxAccount?>(null);
    }
}
