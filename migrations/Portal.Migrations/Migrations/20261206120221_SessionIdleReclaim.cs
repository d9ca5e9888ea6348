using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class SessionIdleReclaim : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<double>(
                name: "IdleGpuThresholdPercent",
                table: "QuotaGroups",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<TimeSpan>(
                name: "IdleGrace",
                table: "QuotaGroups",
                type: "interval",
                nullable: true);

            migrationBuilder.AddColumn<TimeSpan>(
                name: "IdleKeepLimit",
                table: "QuotaGroups",
                type: "interval",
                nullable: true);

            migrationBuilder.AddColumn<TimeSpan>(
                name: "IdleWindow",
                table: "QuotaGroups",
                type: "interval",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "IdleKeepReason",
                table: "Jobs",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "IdleKeepUntil",
                table: "Jobs",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddCheckConstraint(
                name: "CK_QuotaGroups_Idle",
                table: "QuotaGroups",
                sql: "(\"IdleWindow\" IS NULL OR \"IdleWindow\" >= interval '1 second') AND (\"IdleGrace\" IS NULL OR \"IdleGrace\" >= interval '0') AND (\"IdleGpuThresholdPercent\" IS NULL OR (\"IdleGpuThresholdPercent\" >= 0 AND \"IdleGpuThresholdPercent\" <= 100)) AND (\"IdleKeepLimit\" IS NULL OR \"IdleKeepLimit\" > interval '0')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_QuotaGroups_Idle",
                table: "QuotaGroups");

            migrationBuilder.DropColumn(
                name: "IdleGpuThresholdPercent",
                table: "QuotaGroups");

            migrationBuilder.DropColumn(
                name: "IdleGrace",
                table: "QuotaGroups");

            migrationBuilder.DropColumn(
                name: "IdleKeepLimit",
                table: "QuotaGroups");

            migrationBuilder.DropColumn(
                name: "IdleWindow",
                table: "QuotaGroups");

            migrationBuilder.DropColumn(
                name: "IdleKeepReason",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "IdleKeepUntil",
                table: "Jobs");
        }
    }
}
