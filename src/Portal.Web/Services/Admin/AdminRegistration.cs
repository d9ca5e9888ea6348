using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Web.Services.Jobs;

namespace Portal.Web.Services.Admin;

/// <summary>Registers the services behind the admin pages (GPUs, quotas, all jobs, accounting) and the users' own
/// quota view.</summary>
internal static class AdminRegistration
{
    public static IServiceCollection AddPortalAdministration(this IServiceCollection services)
    {
        services.AddSingleton<GpuAdministration>();
        services.AddSingleton<QuotaAdministration>();
        services.AddScoped<UserHostCheck>();
        services.AddSingleton<JobGroupMembership>();
        services.AddSingleton<JobCancellation>();
        services.AddSingleton<JobSubmissions>();
        services.AddSingleton<JobOutput>();
        // JobOutput reads a Slurm job's output through it whatever the backend is now: jobs that ran on Slurm keep their
        // output file after the portal is switched back to the local backend.
        services.TryAddSingleton<Portal.Jobs.Slurm.SlurmJobOutput>();
        services.AddSingleton<Portal.Web.Services.Apps.AppSubmissions>();
        return services;
    }
}
