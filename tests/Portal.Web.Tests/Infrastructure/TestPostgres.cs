using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Portal.Data.Database;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>
/// The PostgreSQL server the tests use: the one tests/run.sh started (PORTAL_TEST_POSTGRES), or
/// else a private cluster this process starts once, so `dotnet test` alone works too.
/// Each caller gets a fresh, empty database of its own.
/// </summary>
public static class TestPostgres
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _serverConnectionString;

    public static async Task<string> CreateDatabaseAsync()
    {
        string server = await ServerAsync();
        string name = $"portal_test_{Guid.NewGuid():N}";
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await create.ExecuteNonQueryAsync();
        }

        // EF Core keeps a data source (and its pool) per connection string for the life of the process, so a test's
        // idle connections would outlive the test by Npgsql's default idle lifetime (300 s); over a full run of parallel
        // classes they added up to the server's limit ("too many clients already"). Here they close a few seconds
        // after the test stops using them.
        return new NpgsqlConnectionStringBuilder(server)
        {
            Database = name,
            Pooling = true,
            ConnectionIdleLifetime = 5,
            ConnectionPruningInterval = 1,
        }.ConnectionString;
    }

    private static async Task<string> ServerAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_serverConnectionString is not null)
            {
                return _serverConnectionString;
            }

            string? configured = Environment.GetEnvironmentVariable("PORTAL_TEST_POSTGRES");
            if (string.IsNullOrEmpty(configured))
            {
                string root = Path.Combine(Path.GetTempPath(), $"portal-test-pg-{Environment.ProcessId}");
                PrivatePostgresCluster cluster = await PrivatePostgresCluster.StartAsync(root, NullLogger.Instance, CancellationToken.None);
                AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
                configured = new NpgsqlConnectionStringBuilder(cluster.ConnectionString) { Database = "postgres" }.ConnectionString;
            }

            _serverConnectionString = configured;
            return configured;
        }
        finally
        {
            Gate.Release();
        }
    }
}
