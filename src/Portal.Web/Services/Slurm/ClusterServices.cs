using Portal.Jobs;

namespace Portal.Web.Services.Slurm;

/// <summary>Registers the cluster view when jobs go to Slurm (<c>Portal:Backend</c> = slurm): one node monitor for
/// the whole portal. The job runner's registration adds the Slurm queries it uses.</summary>
public static class ClusterServices
{
    public static IServiceCollection AddClusterMonitoring(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton<ClusterCapacitySource>();
        if (!JobBackendOptions.From(configuration).IsSlurm)
        {
            return services;
        }

        services.AddSingleton<ClusterMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterMonitor>());
        return services;
    }
}
