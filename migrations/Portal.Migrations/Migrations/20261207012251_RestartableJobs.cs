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
        }
    }
}
