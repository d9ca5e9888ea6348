using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Portal.Data;
using Portal.Data.Database;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests;

public sealed class DatabaseTests
{
    [Fact]
    public async Task Migrations_apply_to_an_empty_database_and_the_model_has_no_pending_changes()
    {
        string connectionString = await TestPostgres.CreateDatabaseAsync();
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        PortalDatabaseOptions.Configure(options, connectionString);
        await using var db = new PortalDbContext(options.Options);

        await db.Database.MigrateAsync();

        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.False(db.Database.HasPendingModelChanges(), "The model changed without a migration: run dotnet ef migrations add.");
        Assert.Equal(0, await db.Users.CountAsync());
    }

    [Fact]
    public async Task Database_rejects_two_portal_users_bound_to_the_same_Linux_account()
    {
        string connectionString = await TestPostgres.CreateDatabaseAsync();
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        PortalDatabaseOptions.Configure(options, connectionString);
        await using var db = new PortalDbContext(options.Options);
        await db.Database.MigrateAsync();
        var first = new Portal.Data.Entities.PortalUser("one") { NormalizedUserName = "ONE" };
        first.BindLinuxAccount("ptest-shared", 4242);
        var second = new Portal.Data.Entities.PortalUser("two") { NormalizedUserName = "TWO" };
        second.BindLinuxAccount("ptest-shared", 4242);
        db.Users.AddRange(first, second);

        var error = await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());

        Assert.Equal(PostgresErrorCodes.UniqueViolation, Assert.IsType<PostgresException>(error.InnerException).SqlState);
    }

    [Fact]
    public async Task Private_cluster_is_created_started_stopped_and_reused_with_its_data()
    {
        string root = Path.Combine(Path.GetTempPath(), $"portal-private-{Guid.NewGuid():N}"[..24]);
        try
        {
            PrivatePostgresCluster cluster = await PrivatePostgresCluster.StartAsync(root, NullLogger.Instance, CancellationToken.None);
            await ExecuteAsync(cluster.ConnectionString, "CREATE TABLE kept (v int); INSERT INTO kept VALUES (42);");
            await cluster.StopAsync(CancellationToken.None);
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => ExecuteAsync(cluster.ConnectionString, "SELECT 1"));

            PrivatePostgresCluster again = await PrivatePostgresCluster.StartAsync(root, NullLogger.Instance, CancellationToken.None);
            await using var connection = new NpgsqlConnection(again.ConnectionString);
            await connection.OpenAsync();
            await using var read = new NpgsqlCommand("SELECT v FROM kept", connection);
            Assert.Equal(42, await read.ExecuteScalarAsync());
            await connection.CloseAsync();
            await again.StopAsync(CancellationToken.None);

            string socketDirectory = Path.Combine(root, "run");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(socketDirectory));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
