using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Portal.Core.Scheduling;

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
        services.AddSingleton<JobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        return services;
    }
}
