using Npgsql;

namespace Portal.Web.Tests.Data;

/// <summary>The database itself refuses what the ledger must never hold, whatever code writes to it.</summary>
public sealed class GpuLedgerConstraintTests
{
    private const string InsertGpu =
        "INSERT INTO \"Gpus\" (\"Uuid\", \"Index\", \"Name\", \"IsPresent\", \"LastSeenAt\", \"Drained\") VALUES ('GPU-a', 0, 'g', true, now(), false);";

    [Fact]
    public async Task A_second_unreleased_allocation_of_one_GPU_is_a_unique_violation()
    {
        await using var database = await TestDatabase.CreateAsync();
        var owner = await database.AddUserAsync("ledgera", 5001);
        await database.ExecuteAsync(InsertGpu + InsertRunningJob(owner) + InsertRunningJob(owner));
        await database.ExecuteAsync(
            "INSERT INTO \"GpuAllocations\" (\"GpuUuid\", \"JobId\", \"Position\", \"AllocatedAt\") VALUES ('GPU-a', 1, 0, now())");

        var error = await Assert.ThrowsAsync<PostgresException>(() => database.ExecuteAsync(
            "INSERT INTO \"GpuAllocations\" (\"GpuUuid\", \"JobId\", \"Position\", \"AllocatedAt\") VALUES ('GPU-a', 2, 0, now())"));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, error.SqlState);
        Assert.Equal("IX_GpuAllocations_GpuUuid_Active", error.ConstraintName);
    }

    [Fact]
    public async Task A_released_allocation_frees_the_GPU_for_the_next_job()
    {
        await using var database = await TestDatabase.CreateAsync();
        var owner = await database.AddUserAsync("ledgerb", 5002);
        await database.ExecuteAsync(InsertGpu + InsertRunningJob(owner) + InsertRunningJob(owner));
        await database.ExecuteAsync(
            "INSERT INTO \"GpuAllocations\" (\"GpuUuid\", \"JobId\", \"Position\", \"AllocatedAt\", \"ReleasedAt\") VALUES ('GPU-a', 1, 0, now() - interval '1 hour', now())");

        await database.ExecuteAsync(
            "INSERT INTO \"GpuAllocations\" (\"GpuUuid\", \"JobId\", \"Position\", \"AllocatedAt\") VALUES ('GPU-a', 2, 0, now())");

        Assert.Equal(2L, await database.ScalarAsync("SELECT count(*) FROM \"GpuAllocations\" WHERE \"GpuUuid\" = 'GPU-a'"));
    }

    [Theory]
    [InlineData("UPDATE \"Jobs\" SET \"State\" = 'Sleeping'")]
    [InlineData("UPDATE \"Jobs\" SET \"FinishedAt\" = now()")]
    [InlineData("UPDATE \"Jobs\" SET \"State\" = 'Succeeded', \"ExitCode\" = 0")]
    [InlineData("UPDATE \"Jobs\" SET \"State\" = 'Succeeded', \"ExitCode\" = 3, \"FinishedAt\" = now()")]
    [InlineData("UPDATE \"Jobs\" SET \"ContainerId\" = NULL")]
    [InlineData("UPDATE \"Jobs\" SET \"PendingReason\" = 'Resources'")]
    [InlineData("UPDATE \"Jobs\" SET \"State\" = 'Queued'")]
    [InlineData("UPDATE \"Jobs\" SET \"GpuSeconds\" = 10")]
    [InlineData("UPDATE \"Jobs\" SET \"SpecificGpuUuids\" = ARRAY['GPU-a', 'GPU-b']")]
    [InlineData("UPDATE \"Gpus\" SET \"Drained\" = true")]
    [InlineData("UPDATE \"QuotaDefault\" SET \"MaxQueuedJobs\" = NULL")]
    [InlineData("INSERT INTO \"QuotaDefault\" SELECT 2, \"MaxConcurrentGpus\", \"MaxConcurrentJobs\", \"MaxQueuedJobs\", \"GpuHoursPerWindow\", \"Window\", \"MaxWalltime\", \"MaxCpusPerJob\", \"MaxMemoryMiBPerJob\", \"UpdatedAt\" FROM \"QuotaDefault\"")]
    [InlineData("INSERT INTO \"JobStateChanges\" (\"JobId\", \"FromState\", \"ToState\", \"At\") VALUES (1, NULL, 'Running', now())")]
    public async Task Check_constraints_refuse_rows_no_legal_history_produces(string sql)
    {
        await using var database = await TestDatabase.CreateAsync();
        var owner = await database.AddUserAsync("ledgerc", 5003);
        await database.ExecuteAsync(InsertGpu + InsertRunningJob(owner));

        var error = await Assert.ThrowsAsync<PostgresException>(() => database.ExecuteAsync(sql));

        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
    }

    private static string InsertRunningJob(Guid owner) =>
        "INSERT INTO \"Jobs\" (\"OwnerId\", \"OwnerLinuxUserName\", \"Name\", \"Image\", \"Command\", \"EnvironmentJson\", \"MountsJson\","
        + " \"GpuCount\", \"SpecificGpuUuids\", \"Cpus\", \"MemoryMiB\", \"Walltime\", \"Priority\", \"State\", \"PendingReason\","
        + " \"ContainerId\", \"SubmittedAt\", \"StartedAt\")"
        + $" VALUES ('{owner}', 'x', 'n', 'img', '{{}}', '{{}}', '[]', 1, '{{}}', 1, 1024, interval '1 hour', 0, 'Running', 'None',"
        + " 'c1', now() - interval '1 minute', now());";
}
