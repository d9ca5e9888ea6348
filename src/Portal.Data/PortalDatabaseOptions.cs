using Microsoft.EntityFrameworkCore;

namespace Portal.Data;

/// <summary>The one place that says how the portal talks to PostgreSQL.</summary>
public static class PortalDatabaseOptions
{
    /// <summary>The assembly that holds the migrations (kept apart from the model).</summary>
    public const string MigrationsAssembly = "Portal.Migrations";

    public static void Configure(DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(MigrationsAssembly));
}
