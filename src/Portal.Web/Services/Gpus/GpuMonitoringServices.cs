using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Portal.Core.Gpus;
using Portal.Jobs;
using Portal.Launcher.Client;
using Portal.Web.Services.Launcher;

namespace Portal.Web.Services.Gpus;

/// <summary>Registers the live GPU view: one monitor (and one nvidia-smi) for the whole portal.</summary>
public static class GpuMonitoringServices
{
    public static IServiceCollection AddGpuMonitoring(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GpuMonitorOptions>().Bind(configuration.GetSection(GpuMonitorOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GpuMonitorOptions>, GpuMonitorOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => new LauncherPolicyFacts(
            sp.GetService<ILauncher>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<LauncherPolicyFacts>>()));
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<GpuMonitorOptions>>().Value;
            return new GpuProcessReader(new NvidiaSmiProcessQuery(GpuMonitor.ToSamplerOptions(options)), new ProcessOwnerResolver(),
                sp.GetRequiredService<LauncherPolicyFacts>());
        });
        // Holders come from the GPU ledger (GpuStore, registered with the other stores).
        services.TryAddSingleton<IGpuHolderSource, LedgerHolderSource>();
        services.AddSingleton<GpuMonitor>();
        services.AddHostedService(sp => sp.GetRequiredService<GpuMonitor>());
        services.AddSingleton<IGpuInventorySource>(sp => sp.GetRequiredService<GpuMonitor>());
        services.AddOptions<ForeignGpuProcessOptions>().Bind(configuration.GetSection(ForeignGpuProcessOptions.SectionName));
        services.AddSingleton<ForeignGpuProcessKiller>();
        services.AddSingleton<GpuEnforcementReader>();
        services.AddHostedService<ForeignGpuUseWatch>();
        services.AddSingleton<Idle.JobIdleReclaimer>();
        services.AddSingleton<Idle.IJobIdleSource>(sp => sp.GetRequiredService<Idle.JobIdleReclaimer>());
        services.AddHostedService(sp => sp.GetRequiredService<Idle.JobIdleReclaimer>());
        services.AddSingleton<Idle.JobKeeping>();
        return services;
    }
}
