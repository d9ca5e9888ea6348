using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class JobResourceUsage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "CpuSeconds",
                table: "Jobs",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "OomKills",
                table: "Jobs",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "PeakMemoryBytes",
                table: "Jobs",
                type: "bigint",
                nullable: true);

            migrationBuilder.AddCheckConstraint(
                name: "CK_Jobs_ResourceUsageNotNegative",
                table: "Jobs",
                sql: "\"CpuSeconds\" >= 0 AND \"PeakMemoryBytes\" >= 0 AND \"OomKills\" >= 0");

            migrationBuilder.AddCheckConstraint(
                name: "CK_Jobs_ResourceUsageOnlyWhenFinal",
                table: "Jobs",
                sql: "(\"CpuSeconds\" IS NULL AND \"PeakMemoryBytes\" IS NULL AND \"OomKills\" IS NULL) OR \"FinishedAt\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_Jobs_ResourceUsageNotNegative",
                table: "Jobs");

            migrationBuilder.DropCheckConstraint(
                name: "CK_Jobs_ResourceUsageOnlyWhenFinal",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "CpuSeconds",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "OomKills",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "PeakMemoryBytes",
                table: "Jobs");
        }
    }
}
