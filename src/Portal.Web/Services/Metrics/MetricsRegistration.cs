using System.Net;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using Portal.Jobs;

namespace Portal.Web.Services.Metrics;

/// <summary>Prometheus metrics at <c>/metrics</c> (section "Portal:Metrics"): the portal's own meters, exported by
/// OpenTelemetry. The portal code records through System.Diagnostics.Metrics only.</summary>
internal static class MetricsRegistration
{
    public const string Path = "/metrics";

    public static IServiceCollection AddPortalMetrics(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MetricsOptions>().Bind(configuration.GetSection(MetricsOptions.SectionName))
            .Validate(o => o.RefreshInterval > TimeSpan.Zero, $"{MetricsOptions.SectionName}:RefreshInterval must be positive.")
            .ValidateOnStart();
        services.AddMetrics();
        services.AddSingleton<JobMetrics>();
        services.AddSingleton<LauncherMetrics>();
        services.AddSingleton<GpuMetrics>();
        services.AddHostedService<JobStatsRefresher>();
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(JobMetrics.MeterName, LauncherMetrics.MeterName, GpuMetrics.MeterName)
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0));
        return services;
    }

    public static WebApplication MapPortalMetrics(this WebApplication app)
    {
        MetricsOptions options = app.Services.GetRequiredService<IOptions<MetricsOptions>>().Value;
        if (!options.Enabled)
        {
            return app;
        }

        // Observable gauges exist once their class does: create them before the first scrape.
        _ = app.Services.GetRequiredService<GpuMetrics>();
        app.MapPrometheusScrapingEndpoint(Path, meterProvider: null, configureBranchedPipeline: branch =>
        {
            if (options.LoopbackOnly)
            {
                branch.Use((context, next) =>
                {
                    // No IP address at all: a Unix-socket or in-process connection, which only this machine can make.
                    if (context.Connection.RemoteIpAddress is not { } address || IPAddress.IsLoopback(address))
                    {
                        return next(context);
                    }

                    context.Response.StatusCode = StatusCodes.Status403Forbidden;
                    return context.Response.WriteAsync("Metrics are served to this machine only (Portal:Metrics:LoopbackOnly).");
                });
            }
        }, optionsName: null).AllowAnonymous();
        return app;
    }
}
