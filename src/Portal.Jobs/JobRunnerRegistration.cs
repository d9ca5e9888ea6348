using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Portal.Core.Scheduling;
using Portal.Jobs.Slurm;

namespace Portal.Jobs;

/// <summary>Registers the job runner (section "Portal:Jobs"). Call after the database, the launcher and the GPU
/// monitor are registered: hosted services start in registration order, and the runner needs the database up.</summary>
public static class JobRunnerRegistration
{
    public static IServiceCollection AddJobRunner(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<JobRunnerOptions>().Bind(configuration.GetSection(JobRunnerOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<JobRunnerOptions>, JobRunnerOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new SchedulingTrigger(sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(sp => new Scheduler(sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<GpuInventorySync>();
        services.AddSingleton<JobActions>();
        services.AddSingleton<Reconciler>();
        var backend = JobBackendOptions.From(configuration);
        services.AddOptions<JobBackendOptions>().Configure(o => o.Backend = backend.Backend).ValidateOnStart();
        services.AddSingleton<IValidateOptions<JobBackendOptions>, JobBackendOptionsValidator>();
        if (backend.IsSlurm)
        {
            services.AddSlurm(configuration);
            services.AddSingleton<IJobBackend, SlurmJobBackend>();
        }
        else
        {
            services.AddSingleton<IJobBackend, LocalJobBackend>();
        }

        services.AddSingleton<JobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        return services;
    }

    /// <summary>The Slurm side (section "Portal:Slurm"): options and the portal's own read-only Slurm queries.</summary>
    public static IServiceCollection AddSlurm(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SlurmOptions>().Bind(configuration.GetSection(SlurmOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SlurmOptions>, SlurmOptionsValidator>();
        services.TryAddSingleton<SlurmCommands>();
        services.TryAddSingleton<SlurmJobOutput>();
        return services;
    }
}
