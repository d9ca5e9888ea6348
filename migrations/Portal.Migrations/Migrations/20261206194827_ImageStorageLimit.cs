using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class ImageStorageLimit : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_UserQuotaOverrides_Limits",
                table: "UserQuotaOverrides");

            migrationBuilder.DropCheckConstraint(
                name: "CK_QuotaGroups_Limits",
                table: "QuotaGroups");

            migrationBuilder.DropCheckConstraint(
                name: "CK_QuotaDefault_Limits",
                table: "QuotaDefault");

            migrationBuilder.AddColumn<double>(
                name: "MaxImageGiB",
                table: "UserQuotaOverrides",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "MaxImageGiB",
                table: "QuotaGroups",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "MaxImageGiB",
                table: "QuotaDefault",
                type: "double precision",
                nullable: true);

            migrationBuilder.UpdateData(
                table: "QuotaDefault",
                keyColumn: "Id",
                keyValue: 1,
                column: "MaxImageGiB",
                value: null);

            migrationBuilder.AddCheckConstraint(
                name: "CK_UserQuotaOverrides_Limits",
                table: "UserQuotaOverrides",
                sql: "(\"MaxConcurrentGpus\" IS NULL OR \"MaxConcurrentGpus\" >= 0) AND (\"MaxConcurrentJobs\" IS NULL OR \"MaxConcurrentJobs\" >= 0) AND (\"MaxQueuedJobs\" IS NULL OR \"MaxQueuedJobs\" >= 0) AND (\"GpuHoursPerWindow\" IS NULL OR \"GpuHoursPerWindow\" >= 0) AND (\"Window\" IS NULL OR \"Window\" > interval '0') AND (\"MaxWalltime\" IS NULL OR \"MaxWalltime\" > interval '0') AND (\"MaxCpusPerJob\" IS NULL OR \"MaxCpusPerJob\" > 0) AND (\"MaxMemoryMiBPerJob\" IS NULL OR \"MaxMemoryMiBPerJob\" > 0) AND (\"MaxImageGiB\" IS NULL OR \"MaxImageGiB\" > 0)");

            migrationBuilder.AddCheckConstraint(
                name: "CK_QuotaGroups_Limits",
                table: "QuotaGroups",
                sql: "(\"MaxConcurrentGpus\" IS NULL OR \"MaxConcurrentGpus\" >= 0) AND (\"MaxConcurrentJobs\" IS NULL OR \"MaxConcurrentJobs\" >= 0) AND (\"MaxQueuedJobs\" IS NULL OR \"MaxQueuedJobs\" >= 0) AND (\"GpuHoursPerWindow\" IS NULL OR \"GpuHoursPerWindow\" >= 0) AND (\"Window\" IS NULL OR \"Window\" > interval '0') AND (\"MaxWalltime\" IS NULL OR \"MaxWalltime\" > interval '0') AND (\"MaxCpusPerJob\" IS NULL OR \"MaxCpusPerJob\" > 0) AND (\"MaxMemoryMiBPerJob\" IS NULL OR \"MaxMemoryMiBPerJob\" > 0) AND (\"MaxImageGiB\" IS NULL OR \"MaxImageGiB\" > 0)");

            migrationBuilder.AddCheckConstraint(
                name: "CK_QuotaDefault_Limits",
                table: "QuotaDefault",
                sql: "(\"MaxConcurrentGpus\" IS NULL OR \"MaxConcurrentGpus\" >= 0) AND (\"MaxConcurrentJobs\" IS NULL OR \"MaxConcurrentJobs\" >= 0) AND (\"MaxQueuedJobs\" IS NULL OR \"MaxQueuedJobs\" >= 0) AND (\"GpuHoursPerWindow\" IS NULL OR \"GpuHoursPerWindow\" >= 0) AND (\"Window\" IS NULL OR \"Window\" > interval '0') AND (\"MaxWalltime\" IS NULL OR \"MaxWalltime\" > interval '0') AND (\"MaxCpusPerJob\" IS NULL OR \"MaxCpusPerJob\" > 0) AND (\"MaxMemoryMiBPerJob\" IS NULL OR \"MaxMemoryMiBPerJob\" > 0) AND (\"MaxImageGiB\" IS NULL OR \"MaxImageGiB\" > 0)");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_UserQuotaOverrides_Limits",
                table: "UserQuotaOverrides");

            migrationBuilder.DropCheckConstraint(
                name: "CK_QuotaGroups_Limits",
                table: "QuotaGroups");

            migrationBuilder.DropCheckConstraint(
                name: "CK_QuotaDefault_Limits",
                table: "QuotaDefault");

            migrationBuilder.DropColumn(
                name: "MaxImageGiB",
                table: "UserQuotaOverrides");

            migrationBuilder.DropColumn(
                name: "MaxImageGiB",
                table: "QuotaGroups");

            migrationBuilder.DropColumn(
                name: "MaxImageGiB",
                table: "QuotaDefault");

            migrationBuilder.AddCheckConstraint(
                name: "CK_UserQuotaOverrides_Limits",
                table: "UserQuotaOverrides",
                sql: "(\"MaxConcurrentGpus\" IS NULL OR \"MaxConcurrentGpus\" >= 0) AND (\"MaxConcurrentJobs\" IS NULL OR \"MaxConcurrentJobs\" >= 0) AND (\"MaxQueuedJobs\" IS NULL OR \"MaxQueuedJobs\" >= 0) AND (\"GpuHoursPerWindow\" IS NULL OR \"GpuHoursPerWindow\" >= 0) AND (\"Window\" IS NULL OR \"Window\" > interval '0') AND (\"MaxWalltime\" IS NULL OR \"MaxWalltime\" > interval '0') AND (\"MaxCpusPerJob\" IS NULL OR \"MaxCpusPerJob\" > 0) AND (\"MaxMemoryMiBPerJob\" IS NULL OR \"MaxMemoryMiBPerJob\" > 0)");

            migrationBuilder.AddCheckConstraint(
                name: "CK_QuotaGroups_Limits",
                table: "QuotaGroups",
                sql: "(\"MaxConcurrentGpus\" IS NULL OR \"MaxConcurrentGpus\" >= 0) AND (\"MaxConcurrentJobs\" IS NULL OR \"MaxConcurrentJobs\" >= 0) AND (\"MaxQueuedJobs\" IS NULL OR \"MaxQueuedJobs\" >= 0) AND (\"GpuHoursPerWindow\" IS NULL OR \"GpuHoursPerWindow\" >= 0) AND (\"Window\" IS NULL OR \"Window\" > interval '0') AND (\"MaxWalltime\" IS NULL OR \"MaxWalltime\" > interval '0') AND (\"MaxCpusPerJob\" IS NULL OR \"MaxCpusPerJob\" > 0) AND (\"MaxMemoryMiBPerJob\" IS NULL OR \"MaxMemoryMiBPerJob\" > 0)");

            migrationBuilder.AddCheckConstraint(
                name: "CK_QuotaDefault_Limits",
                table: "QuotaDefault",
                sql: "(\"MaxConcurrentGpus\" IS NULL OR \"MaxConcurrentGpus\" >= 0) AND (\"MaxConcurrentJobs\" IS NULL OR \"MaxConcurrentJobs\" >= 0) AND (\"MaxQueuedJobs\" IS NULL OR \"MaxQueuedJobs\" >= 0) AND (\"GpuHoursPerWindow\" IS NULL OR \"GpuHoursPerWindow\" >= 0) AND (\"Window\" IS NULL OR \"Window\" > interval '0') AND (\"MaxWalltime\" IS NULL OR \"MaxWalltime\" > interval '0') AND (\"MaxCpusPerJob\" IS NULL OR \"MaxCpusPerJob\" > 0) AND (\"MaxMemoryMiBPerJob\" IS NULL OR \"MaxMemoryMiBPerJob\" > 0)");
        }
    }
}
