using System;
using System.Collections.Generic;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Portal.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class GpuBookings : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_Jobs_PendingReason",
                table: "Jobs");

            migrationBuilder.CreateTable(
                name: "GpuBookings",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    HolderId = table.Column<Guid>(type: "uuid", nullable: false),
                    GpuUuids = table.Column<List<string>>(type: "text[]", nullable: false),
                    Start = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    End = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Note = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    CreatedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_GpuBookings", x => x.Id);
                    table.CheckConstraint("CK_GpuBookings_Gpus", "cardinality(\"GpuUuids\") >= 1");
                    table.CheckConstraint("CK_GpuBookings_Window", "\"End\" > \"Start\"");
                    table.ForeignKey(
                        name: "FK_GpuBookings_AspNetUsers_HolderId",
                        column: x => x.HolderId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.AddCheckConstraint(
                name: "CK_Jobs_PendingReason",
                table: "Jobs",
                sql: "\"PendingReason\" IN ('None', 'Resources', 'Priority', 'UserGpuLimit', 'UserJobLimit', 'GpuHoursExhausted', 'GpuDrained', 'Cluster', 'Booked')");

            migrationBuilder.CreateIndex(
                name: "IX_GpuBookings_End",
                table: "GpuBookings",
                column: "End");

            migrationBuilder.CreateIndex(
                name: "IX_GpuBookings_HolderId",
                table: "GpuBookings",
                column: "HolderId");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "GpuBookings");

            migrationBuilder.DropCheckConstraint(
                name: "CK_Jobs_PendingReason",
                table: "Jobs");

            migrationBuilder.AddCheckConstraint(
                name: "CK_Jobs_PendingReason",
                table: "Jobs",
                sql: "\"PendingReason\" IN ('None', 'Resources', 'Priority', 'UserGpuLimit', 'UserJobLimit', 'GpuHoursExhausted', 'GpuDrained', 'Cluster')");
        }
    }
}
