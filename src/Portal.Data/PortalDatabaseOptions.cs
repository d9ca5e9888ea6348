using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.EntityFrameworkCore;

namespace Portal.Data;

/// <summary>The one place that says how the portal talks to PostgreSQL.</summary>
public static class PortalDatabaseOptions
{
    /// <summary>The assembly that holds the migrations (kept apart from the model).</summary>
    public const string MigrationsAssembly = "Portal.Migrations";

    public static void Configure(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(MigrationsAssembly))
            // Identity takes its schema version from the application's services, which these contexts are built
            // without (the runtime pool, migrations, the design-time factory): give them all the same answer.
            .UseApplicationServiceProvider(IdentitySchema);

    /// <summary>The services Identity reads its schema version from: version 3, with passkeys (AspNetUserPasskeys).</summary>
    private static readonly IServiceProvider IdentitySchema = new ServiceCollection()
        .Configure<IdentityOptions>(o => o.Stores.SchemaVersion = IdentitySchemaVersions.Version3)
        .BuildServiceProvider();

    /// <summary>
    /// A context on the connection string exactly as given, outside the portal's pooled runtime factory: for
    /// migrations, which want one ordinary session from start to end.
    /// </summary>
    public static PortalDbContext CreateMigrationContext(string connectionString)
    {
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        Configure(options, connectionString);
        return new PortalDbContext(options.Options);
    }
}
