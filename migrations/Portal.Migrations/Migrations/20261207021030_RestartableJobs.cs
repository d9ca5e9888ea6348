using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class RestartableJobs : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_QuotaGroups_JobIdle",
                table: "QuotaGroups");

            migrationBuilder.DropIndex(
                name: "IX_GpuAllocations_JobId_GpuUuid",
                table: "GpuAllocations");

            migrationBuilder.AddColumn<int>(
                name: "Attempts",
                table: "Jobs",
                type: "integer",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<bool>(
                name: "Restartable",
                table: "Jobs",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            // Every job that started so far started once: one Starting row in its history.
            migrationBuilder.Sql("""
                UPDATE "Jobs" j SET "Attempts" = (SELECT count(*) FROM "JobStateChanges" c WHERE c."JobId" = j."Id" AND c."ToState" = 'Starting')
                """);

            migrationBuilder.AddCheckConstraint(
                name: "CK_QuotaGroups_JobIdle",
                table: "QuotaGroups",
                sql: "(\"JobIdleWindow\" IS NULL AND \"JobIdleThresholdPercent\" IS NULL AND \"JobIdleGrace\" IS NULL AND \"JobIdleAction\" IS NULL AND \"JobIdleKeepFor\" IS NULL) OR (\"JobIdleWindow\" >= interval '1 second' AND \"JobIdleThresholdPercent\" > 0 AND \"JobIdleThresholdPercent\" <= 100 AND \"JobIdleGrace\" >= interval '0' AND \"JobIdleAction\" IN ('WarnOnly','Stop','StopAndRequeue') AND \"JobIdleKeepFor\" > interval '0')");

            migrationBuilder.AddCheckConstraint(
                name: "CK_Jobs_Attempts",
                table: "Jobs",
                sql: "\"Attempts\" >= 0");

            migrationBuilder.AddCheckConstraint(
                name: "CK_Jobs_RestartableOnlyForLocalBatchJobs",
                table: "Jobs",
                sql: "NOT \"Restartable\" OR (\"SessionKind\" IS NULL AND \"AppFile\" IS NULL AND \"Backend\" = 'local')");

            // A requeued job may be given the same GPU again: the ledger keeps the released line of its earlier attempt,
            // so a job holds each GPU at most once only among the lines not yet released.
            migrationBuilder.CreateIndex(
                name: "IX_GpuAllocations_JobId_GpuUuid",
                table: "GpuAllocations",
                columns: new[] { "JobId", "GpuUuid" },
                unique: true,
                filter: "\"ReleasedAt\" IS NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_QuotaGroups_JobIdle",
                table: "QuotaGroups");

            migrationBuilder.DropCheckConstraint(
                name: "CK_Jobs_Attempts",
                table: "Jobs");

            migrationBuilder.DropCheckConstraint(
                name: "CK_Jobs_RestartableOnlyForLocalBatchJobs",
                table: "Jobs");

            // The older portal knows no requeue: a group that requeues stops instead (what it did for a job that was
            // not restartable). A job requeued meanwhile keeps its history, which the older portal cannot replay.
            migrationBuilder.Sql("""UPDATE "QuotaGroups" SET "JobIdleAction" = 'Stop' WHERE "JobIdleAction" = 'StopAndRequeue'""");

            migrationBuilder.DropIndex(
                name: "IX_GpuAllocations_JobId_GpuUuid",
                table: "GpuAllocations");

            migrationBuilder.DropColumn(
                name: "Attempts",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "Restartable",
                table: "Jobs");

            migrationBuilder.AddCheckConstraint(
                name: "CK_QuotaGroups_JobIdle",
                table: "QuotaGroups",
                sql: "(\"JobIdleWindow\" IS NULL AND \"JobIdleThresholdPercent\" IS NULL AND \"JobIdleGrace\" IS NULL AND \"JobIdleAction\" IS NULL AND \"JobIdleKeepFor\" IS NULL) OR (\"JobIdleWindow\" >= interval '1 second' AND \"JobIdleThresholdPercent\" > 0 AND \"JobIdleThresholdPercent\" <= 100 AND \"JobIdleGrace\" >= interval '0' AND \"JobIdleAction\" IN ('WarnOnly','Stop') AND \"JobIdleKeepFor\" > interval '0')");

            // Not unique again: a job requeued meanwhile may hold released lines of one GPU from two attempts, and the
            // ledger is history that is never deleted. The active-GPU index still keeps one job per GPU.
            migrationBuilder.CreateIndex(
                name: "IX_GpuAllocations_JobId_GpuUuid",
                table: "GpuAllocations",
                columns: new[] { "JobId", "GpuUuid" });
        }
    }
}
