using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class SlurmBackend : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_Jobs_PendingReason",
                table: "Jobs");

            migrationBuilder.AddColumn<string>(
                name: "Backend",
                table: "Jobs",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "local");

            migrationBuilder.AddColumn<string[]>(
                name: "BackendGpus",
                table: "Jobs",
                type: "text[]",
                nullable: false,
                defaultValue: Array.Empty<string>());

            migrationBuilder.AddColumn<string>(
                name: "BackendJobId",
                table: "Jobs",
                type: "character varying(64)",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "BackendNodes",
                table: "Jobs",
                type: "character varying(256)",
                maxLength: 256,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "BackendReason",
                table: "Jobs",
                type: "character varying(256)",
                maxLength: 256,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "BackendState",
                table: "Jobs",
                type: "character varying(32)",
                maxLength: 32,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Jobs_Backend_BackendJobId",
                table: "Jobs",
                columns: new[] { "Backend", "BackendJobId" },
                unique: true,
                filter: "\"BackendJobId\" IS NOT NULL");

            migrationBuilder.AddCheckConstraint(
                name: "CK_Jobs_Backend",
                table: "Jobs",
                sql: "\"Backend\" IN ('local', 'slurm')");

            migrationBuilder.AddCheckConstraint(
                name: "CK_Jobs_BackendFieldsOnlyForSlurm",
                table: "Jobs",
                sql: "\"Backend\" = 'slurm' OR (\"BackendJobId\" IS NULL AND \"BackendState\" IS NULL AND cardinality(\"BackendGpus\") = 0)");

            migrationBuilder.AddCheckConstraint(
                name: "CK_Jobs_PendingReason",
                table: "Jobs",
                sql: "\"PendingReason\" IN ('None', 'Resources', 'Priority', 'UserGpuLimit', 'UserJobLimit', 'GpuHoursExhausted', 'GpuDrained', 'Cluster')");

            migrationBuilder.AddCheckConstraint(
                name: "CK_Jobs_StartedSlurmJobHasId",
                table: "Jobs",
                sql: "\"Backend\" <> 'slurm' OR \"State\" NOT IN ('Starting', 'Running') OR \"BackendJobId\" IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Jobs_Backend_BackendJobId",
                table: "Jobs");

            migrationBuilder.DropCheckConstraint(
                name: "CK_Jobs_Backend",
                table: "Jobs");

            migrationBuilder.DropCheckConstraint(
                name: "CK_Jobs_BackendFieldsOnlyForSlurm",
                table: "Jobs");

            migrationBuilder.DropCheckConstraint(
                name: "CK_Jobs_PendingReason",
                table: "Jobs");

            migrationBuilder.DropCheckConstraint(
                name: "CK_Jobs_StartedSlurmJobHasId",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "Backend",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "BackendGpus",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "BackendJobId",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "BackendNodes",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "BackendReason",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "BackendState",
                table: "Jobs");

            migrationBuilder.AddCheckConstraint(
                name: "CK_Jobs_PendingReason",
                table: "Jobs",
                sql: "\"PendingReason\" IN ('None', 'Resources', 'Priority', 'UserGpuLimit', 'UserJobLimit', 'GpuHoursExhausted', 'GpuDrained')");
        }
    }
}
