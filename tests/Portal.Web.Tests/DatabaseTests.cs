using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Portal.Core.Notifications;
using Portal.Data;
using Portal.Data.Database;
using Portal.Data.Entities.Notifications;
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

    [Fact]
    public async Task Notification_subjects_keep_every_kind_on_for_whoever_had_all_on_and_going_back_drops_what_the_old_schema_cannot_hold()
    {
        const string before = "20261206225226_GpuBookings";
        string connectionString = await TestPostgres.CreateDatabaseAsync();
        var options = new DbContextOptionsBuilder<PortalDbContext>();
        PortalDatabaseOptions.Configure(options, connectionString);
        await using var db = new PortalDbContext(options.Options);
        await db.Database.MigrateAsync();
        var all = new Portal.Data.Entities.PortalUser("all") { NormalizedUserName = "ALL" };
        var some = new Portal.Data.Entities.PortalUser("some") { NormalizedUserName = "SOME" };
        db.Users.AddRange(all, some);
        await db.SaveChangesAsync();
        var migrator = db.GetService<Microsoft.EntityFrameworkCore.Migrations.IMigrator>();

        await migrator.MigrateAsync(before);
        await ExecuteAsync(connectionString, $"""
            INSERT INTO "NotificationSettings" ("UserId", "PortalKinds", "EmailKinds", "WebhookKinds", "WebhookSlackFormat", "UpdatedAt")
            VALUES ('{all.Id}', 31, 31, 31, false, now()), ('{some.Id}', 7, 24, 0, false, now());
            """);
        await migrator.MigrateAsync();

        var kinds = await db.NotificationSettings.AsNoTracking().OrderBy(s => s.UserId == all.Id ? 0 : 1)
            .Select(s => new { s.PortalKinds, s.EmailKinds, s.WebhookKinds }).ToListAsync();
        Assert.Equal((NotificationKinds.All, NotificationKinds.All, NotificationKinds.All), (kinds[0].PortalKinds, kinds[0].EmailKinds, kinds[0].WebhookKinds));
        Assert.Equal(((NotificationKinds)7, (NotificationKinds)24, NotificationKinds.None), (kinds[1].PortalKinds, kinds[1].EmailKinds, kinds[1].WebhookKinds));

        db.Notifications.Add(NotificationRecord.ForeignGpuProcess(all.Id, "GPU-0000-test", "PID 1 of root.", DateTimeOffset.UtcNow, true));
        db.Notifications.Add(new NotificationRecord(all.Id, NotificationKinds.JobEnded, 7, "train", "Succeeded", 0, null, DateTimeOffset.UtcNow, true));
        await db.SaveChangesAsync();
        await migrator.MigrateAsync(before);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var left = new NpgsqlCommand("SELECT string_agg(\"Kind\", ',') FROM \"Notifications\"", connection);
        Assert.Equal("JobEnded", await left.ExecuteScalarAsync());
        await using var masked = new NpgsqlCommand($"SELECT \"PortalKinds\" FROM \"NotificationSettings\" WHERE \"UserId\" = '{all.Id}'", connection);
        Assert.Equal(31, await masked.ExecuteScalarAsync());
        await connection.CloseAsync();
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
