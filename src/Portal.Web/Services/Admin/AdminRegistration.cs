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
        services.AddSingleton<Portal.Web.Services.Apps.AppSubmissions>();
        return services;
    }
}
