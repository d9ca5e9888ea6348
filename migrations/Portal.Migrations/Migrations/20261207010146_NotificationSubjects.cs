using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class NotificationSubjects : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_Notifications_Kind",
                table: "Notifications");

            migrationBuilder.DropCheckConstraint(
                name: "CK_NotificationSettings_Kinds",
                table: "NotificationSettings");

            migrationBuilder.AlterColumn<string>(
                name: "State",
                table: "Notifications",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true,
                oldClrType: typeof(string),
                oldType: "character varying(16)",
                oldMaxLength: 16);

            migrationBuilder.AlterColumn<long>(
                name: "JobId",
                table: "Notifications",
                type: "bigint",
                nullable: true,
                oldClrType: typeof(long),
                oldType: "bigint");

            migrationBuilder.AddColumn<string>(
                name: "Subject",
                table: "Notifications",
                type: "character varying(200)",
                maxLength: 200,
                nullable: true);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "StartingNoticeAt",
                table: "GpuBookings",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddCheckConstraint(
                name: "CK_Notifications_Kind",
                table: "Notifications",
                sql: "\"Kind\" IN ('JobStarted','JobEnded','JobFailedToStart','IdleWarning','Reclaimed','ForeignGpuProcess','BookingStarting')");

            migrationBuilder.AddCheckConstraint(
                name: "CK_Notifications_Subject",
                table: "Notifications",
                sql: "(\"Kind\" IN ('JobStarted','JobEnded','JobFailedToStart','IdleWarning','Reclaimed') AND \"JobId\" IS NOT NULL AND \"State\" IS NOT NULL AND \"Subject\" IS NULL) OR (\"Kind\" NOT IN ('JobStarted','JobEnded','JobFailedToStart','IdleWarning','Reclaimed') AND \"JobId\" IS NULL AND \"State\" IS NULL AND \"Subject\" IS NOT NULL)");

            migrationBuilder.AddCheckConstraint(
                name: "CK_NotificationSettings_Kinds",
                table: "NotificationSettings",
                sql: "\"PortalKinds\" BETWEEN 0 AND 127 AND \"EmailKinds\" BETWEEN 0 AND 127 AND \"WebhookKinds\" BETWEEN 0 AND 127");

            // Whoever had every kind on, on a channel, keeps every kind on there: the new kinds are a booking opening
            // and (administrators only) a foreign GPU process.
            migrationBuilder.Sql("UPDATE \"NotificationSettings\" SET \"PortalKinds\" = 127 WHERE \"PortalKinds\" = 31;");
            migrationBuilder.Sql("UPDATE \"NotificationSettings\" SET \"EmailKinds\" = 127 WHERE \"EmailKinds\" = 31;");
            migrationBuilder.Sql("UPDATE \"NotificationSettings\" SET \"WebhookKinds\" = 127 WHERE \"WebhookKinds\" = 31;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_Notifications_Kind",
                table: "Notifications");

            migrationBuilder.DropCheckConstraint(
                name: "CK_Notifications_Subject",
                table: "Notifications");

            migrationBuilder.DropCheckConstraint(
                name: "CK_NotificationSettings_Kinds",
                table: "NotificationSettings");

            // The older schema knows no notification without a job: those (and their deliveries, by cascade) go.
            migrationBuilder.Sql("DELETE FROM \"Notifications\" WHERE \"JobId\" IS NULL OR \"Kind\" IN ('ForeignGpuProcess','BookingStarting');");
            migrationBuilder.Sql("UPDATE \"NotificationSettings\" SET \"PortalKinds\" = \"PortalKinds\" & 31, \"EmailKinds\" = \"EmailKinds\" & 31, \"WebhookKinds\" = \"WebhookKinds\" & 31;");

            migrationBuilder.DropColumn(
                name: "Subject",
                table: "Notifications");

            migrationBuilder.DropColumn(
                name: "StartingNoticeAt",
                table: "GpuBookings");

            migrationBuilder.AlterColumn<string>(
                name: "State",
                table: "Notifications",
                type: "character varying(16)",
                maxLength: 16,
                nullable: false,
                defaultValue: "",
                oldClrType: typeof(string),
                oldType: "character varying(16)",
                oldMaxLength: 16,
                oldNullable: true);

            migrationBuilder.AlterColumn<long>(
                name: "JobId",
                table: "Notifications",
                type: "bigint",
                nullable: false,
                defaultValue: 0L,
                oldClrType: typeof(long),
                oldType: "bigint",
                oldNullable: true);

            migrationBuilder.AddCheckConstraint(
                name: "CK_Notifications_Kind",
                table: "Notifications",
                sql: "\"Kind\" IN ('JobStarted','JobEnded','JobFailedToStart','IdleWarning','Reclaimed')");

            migrationBuilder.AddCheckConstraint(
                name: "CK_NotificationSettings_Kinds",
                table: "NotificationSettings",
                sql: "\"PortalKinds\" BETWEEN 0 AND 31 AND \"EmailKinds\" BETWEEN 0 AND 31 AND \"WebhookKinds\" BETWEEN 0 AND 31");
        }
    }
}
