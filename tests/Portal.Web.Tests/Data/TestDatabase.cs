using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Portal.Core.Gpus;
using Portal.Data;
using Portal.Data.Entities;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Data;

/// <summary>A fresh, migrated database of its own for one test, with helpers to add users and GPUs.</summary>
public sealed class TestDatabase : IDbContextFactory<PortalDbContext>, IAsyncDisposable
{
    // Every test has a database of its own on one server (100 connections by default); a bounded pool per
    // database, emptied when the test ends, keeps parallel test classes from running the server out of connections.
    private const int MaxPoolSize = 25;

    private readonly DbContextOptions<PortalDbContext> _options;

    private TestDatabase(string connectionString)
    {
        ConnectionString = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = MaxPoolSize }.ConnectionString;
        var builder = new DbContextOptionsBuilder<PortalDbContext>();
        PortalDatabaseOptions.Configure(builder, ConnectionString);
        _options = builder.Options;
    }

    public string ConnectionString { get; }

    public static async Task<TestDatabase> CreateAsync()
    {
        var database = new TestDatabase(await TestPostgres.CreateDatabaseAsync());
        await using var db = database.CreateDbContext();
        await db.Database.MigrateAsync();
        return database;
    }

    public PortalDbContext CreateDbContext() => new(_options);

    public ValueTask DisposeAsync()
    {
        using var connection = new NpgsqlConnection(ConnectionString);
        NpgsqlConnection.ClearPool(connection);
        return ValueTask.CompletedTask;
    }

    /// <summary>A portal account bound to a Linux account of the same name.</summary>
    public async Task<Guid> AddUserAsync(string name, long uid)
    {
        var user = new PortalUser(name) { NormalizedUserName = name.ToUpperInvariant() };
        user.BindLinuxAccount(name, uid);
        await using var db = CreateDbContext();
        db.Users.Add(user);
        await db.SaveChangesAsync();
        return user.Id;
    }

    /// <summary>Puts <paramref name="users"/> in the administrators' role (made when missing).</summary>
    public async Task MakeAdminsAsync(params Guid[] users)
    {
        await using var db = CreateDbContext();
        var role = await db.Roles.FirstOrDefaultAsync(r => r.Name == Roles.Admin);
        if (role is null)
        {
            role = new IdentityRole<Guid>(Roles.Admin) { Id = Guid.NewGuid(), NormalizedName = Roles.Admin.ToUpperInvariant() };
            db.Roles.Add(role);
        }

        db.UserRoles.AddRange(users.Select(u => new IdentityUserRole<Guid> { UserId = u, RoleId = role.Id }));
        await db.SaveChangesAsync();
    }

    public static GpuDevice Gpu(int index) =>
        new(index, $"GPU-{index:D4}-test", "Test GPU", 81920, null, $"/dev/nvidia{index}", []);

    public async Task<object?> ScalarAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync();
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
