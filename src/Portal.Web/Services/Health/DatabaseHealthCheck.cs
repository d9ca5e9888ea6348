using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Portal.Data;

namespace Portal.Web.Services.Health;

/// <summary>Ready only when PostgreSQL answers.</summary>
internal sealed class DatabaseHealthCheck(IDbContextFactory<PortalDbContext> contextFactory) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await using PortalDbContext db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Database.CanConnectAsync(cancellationToken)
            ? HealthCheckResult.Healthy("PostgreSQL answers.")
            : HealthCheckResult.Unhealthy("PostgreSQL does not answer.");
    }
}
