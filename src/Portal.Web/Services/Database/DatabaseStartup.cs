using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Data.Database;
using Portal.Web.Configuration;
using Portal.Web.Services.Accounts;

namespace Portal.Web.Services.Database;

/// <summary>
/// Brings the database up before the portal serves anything: starts the private cluster when no
/// connection string is configured, applies migrations, creates the roles and the first admin.
/// Registered before every other hosted service, so it starts first and stops last.
/// </summary>
internal sealed class DatabaseStartup(
    IConfiguration configuration,
    IOptions<PortalOptions> options,
    DatabaseEndpoint endpoint,
    IServiceScopeFactory scopeFactory,
    ILogger<DatabaseStartup> logger) : IHostedService
{
    public const string ConnectionStringName = "Portal";

    private PrivatePostgresCluster? _cluster;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        PortalOptions portal = options.Value;
        logger.LogInformation("{Mode}", HostModes.Describe(HostModes.Detect(portal)));

        string? configured = configuration.GetConnectionString(ConnectionStringName);
        if (string.IsNullOrWhiteSpace(configured))
        {
            string root = Path.Combine(PortalPaths.DataDirectory(portal), "postgres");
            _cluster = await PrivatePostgresCluster.StartAsync(root, logger, cancellationToken);
            endpoint.Set(_cluster.ConnectionString);
        }
        else
        {
            endpoint.Set(configured);
        }

        // Resolved only now: the context options read the connection string when first built.
        await using AsyncServiceScope scope = scopeFactory.CreateAsyncScope();
        if (portal.MigrateOnStart)
        {
            // A context of its own on a plain connection, as the migrate command uses: the runtime's are multiplexed
            // (PortalDbContextFactory), and migrations want one ordinary session from start to end.
            await using var db = PortalDatabaseOptions.CreateMigrationContext(endpoint.ConnectionString);
            // Without the history table EF's first query fails and logs an alarming error on every
            // fresh install; create it first so a first run reads cleanly.
            await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync(cancellationToken);
            await db.Database.MigrateAsync(cancellationToken);
        }

        await scope.ServiceProvider.GetRequiredService<FirstRunBootstrap>().RunAsync(cancellationToken);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_cluster is not null)
        {
            await _cluster.StopAsync(cancellationToken);
        }
    }
}
