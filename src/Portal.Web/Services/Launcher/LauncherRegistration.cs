using Microsoft.Extensions.Options;
using Portal.Launcher.Client;
using Portal.Web.Configuration;
using Portal.Web.Services.Metrics;

namespace Portal.Web.Services.Launcher;

/// <summary>Connects the portal to the privileged launcher (section "Portal:Launcher").</summary>
internal static class LauncherRegistration
{
    public const string SectionName = "Portal:Launcher";

    public static IServiceCollection AddLauncher(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LauncherOptions>()
            .Bind(configuration.GetSection(SectionName))
            .PostConfigure<IOptions<PortalOptions>>((launcher, portal) =>
            {
                // Only the installed service goes through sudo. In development the launcher runs
                // directly: as the portal's own user (it may then act only as that user), or as root.
                launcher.UseSudo = HostModes.Detect(portal.Value) == HostMode.Production;
            });
        services.Configure<LogStreamOptions>(configuration.GetSection(LogStreamOptions.SectionName));
        services.AddSingleton(sp => new ProcessLauncher(sp.GetRequiredService<IOptions<LauncherOptions>>().Value));
        services.AddSingleton<ILinuxPasswordCheck>(sp => sp.GetRequiredService<ProcessLauncher>());
        services.AddSingleton<IImageLauncher>(sp => sp.GetRequiredService<ProcessLauncher>());
        // One cap on the log streams of each owner, container logs and Slurm output files together.
        services.AddSingleton(sp => new LogStreamLimits(
            new InstrumentedLauncher(sp.GetRequiredService<ProcessLauncher>(), sp.GetRequiredService<LauncherMetrics>()),
            sp.GetRequiredService<IOptions<LogStreamOptions>>().Value,
            sp.GetRequiredService<ProcessLauncher>()));
        services.AddSingleton<ILauncher>(sp => sp.GetRequiredService<LogStreamLimits>());
        services.AddSingleton<ISlurmLauncher>(sp => sp.GetRequiredService<LogStreamLimits>());
        return services;
    }
}
