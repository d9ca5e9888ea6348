using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class RequeuedJobsReuseGpus : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_GpuAllocations_JobId_GpuUuid",
                table: "GpuAllocations");

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
            migrationBuilder.DropIndex(
                name: "IX_GpuAllocations_JobId_GpuUuid",
                table: "GpuAllocations");

            migrationBuilder.CreateIndex(
                name: "IX_GpuAllocations_JobId_GpuUuid",
                table: "GpuAllocations",
                columns: new[] { "JobId", "GpuUuid" });
            // Not unique again: a job requeued meanwhile may hold released lines of one GPU from two attempts, and the
            // ledger is history that is never deleted. The active-GPU index still keeps one job per GPU.
        }
    }
}
