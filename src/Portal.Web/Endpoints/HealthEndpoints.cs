using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Portal.Web.Services.Health;

namespace Portal.Web.Endpoints;

/// <summary>/healthz: the process serves requests. /readyz: it can do its work (database reachable, launcher answers its
/// host check through sudo).</summary>
internal static class HealthEndpoints
{
    private const string ReadinessTag = "ready";

    public static IServiceCollection AddPortalHealthChecks(this IServiceCollection services)
    {
        services.AddSingleton<LauncherHealthCheck>();
        services.AddHealthChecks()
            .AddCheck<DatabaseHealthCheck>("database", tags: [ReadinessTag])
            .AddCheck<LauncherHealthCheck>("launcher", tags: [ReadinessTag]);
        return services;
    }

    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/healthz", new HealthCheckOptions { Predicate = _ => false }).AllowAnonymous();
        endpoints.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadinessTag),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status200OK,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
            ResponseWriter = WriteStatusLinesAsync,
        }).AllowAnonymous();
        return endpoints;
    }

    /// <summary>The overall status, then one "name: status" line per check. Descriptions stay out: the endpoint is
    /// anonymous, and they may name paths and accounts; the admin's host check page shows the details.</summary>
    private static Task WriteStatusLinesAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "text/plain; charset=utf-8";
        var lines = report.Entries.Select(e => $"{e.Key}: {e.Value.Status}").Prepend(report.Status.ToString());
        return context.Response.WriteAsync(string.Join('\n', lines) + "\n");
    }
}
