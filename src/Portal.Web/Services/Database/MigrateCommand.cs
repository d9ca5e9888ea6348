using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Portal.Data;

namespace Portal.Web.Services.Database;

/// <summary>
/// <c>Portal.Web migrate</c>: applies pending migrations to the configured database and exits, without starting
/// the portal. The production install runs it as an explicit step (and sets Portal:MigrateOnStart to false), so
/// a schema change happens when the admin upgrades, under their eyes, not whenever the service restarts.
/// </summary>
internal static class MigrateCommand
{
    public const string Name = "migrate";

    public static bool IsRequested(string[] args) => args is [Name, ..];

    /// <returns>The process exit code: 0 when the database is up to date.</returns>
    public static async Task<int> RunAsync(string[] args)
    {
        // The same configuration sources as the portal itself: appsettings, environment, command line.
        IConfiguration configuration = WebApplication.CreateBuilder(args[1..]).Configuration;
        string? connectionString = configuration.GetConnectionString(DatabaseStartup.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            await Console.Error.WriteLineAsync(
                "migrate: ConnectionStrings:Portal is not set. The private development cluster is migrated when the portal starts.");
            return 2;
        }

        await using var db = PortalDatabaseOptions.CreateMigrationContext(connectionString);
        try
        {
            await db.GetService<IHistoryRepository>().CreateIfNotExistsAsync();
            var pending = (await db.Database.GetPendingMigrationsAsync()).ToList();
            await db.Database.MigrateAsync();
            Console.WriteLine(pending.Count == 0
                ? "migrate: the database is up to date."
                : $"migrate: applied {pending.Count} migration(s): {string.Join(", ", pending)}.");
            return 0;
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or DbUpdateException)
        {
            await Console.Error.WriteLineAsync($"migrate: failed: {e.Message}");
            return 1;
        }
    }
}
