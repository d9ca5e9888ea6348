using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class JobIdleReclaim : Migration
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

            migrationBuilder.AddColumn<string>(
                name: "JobIdleAction",
                table: "QuotaGroups",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<TimeSpan>(
                name: "JobIdleGrace",
                table: "QuotaGroups",
                type: "interval",
                nullable: true);

            migrationBuilder.AddColumn<TimeSpan>(
                name: "JobIdleKeepFor",
                table: "QuotaGroups",
                type: "interval",
                nullable: true);

            migrationBuilder.AddColumn<double>(
                name: "JobIdleThresholdPercent",
                table: "QuotaGroups",
                type: "double precision",
                nullable: true);

            migrationBuilder.AddColumn<TimeSpan>(
                name: "JobIdleWindow",
                table: "QuotaGroups",
                type: "interval",
                nullable: true);

            migrationBuilder.AddCheckConstraint(
                name: "CK_QuotaGroups_JobIdle",
                table: "QuotaGroups",
                sql: "(\"JobIdleWindow\" IS NULL AND \"JobIdleThresholdPercent\" IS NULL AND \"JobIdleGrace\" IS NULL AND \"JobIdleAction\" IS NULL AND \"JobIdleKeepFor\" IS NULL) OR (\"JobIdleWindow\" >= interval '1 second' AND \"JobIdleThresholdPercent\" > 0 AND \"JobIdleThresholdPercent\" <= 100 AND \"JobIdleGrace\" >= interval '0' AND \"JobIdleAction\" IN ('WarnOnly','Stop') AND \"JobIdleKeepFor\" > interval '0')");

            migrationBuilder.AddCheckConstraint(
                name: "CK_Notifications_Kind",
                table: "Notifications",
                sql: "\"Kind\" IN ('JobStarted','JobEnded','JobFailedToStart','IdleWarning','Reclaimed')");

            migrationBuilder.AddCheckConstraint(
                name: "CK_NotificationSettings_Kinds",
                table: "NotificationSettings",
                sql: "\"PortalKinds\" BETWEEN 0 AND 31 AND \"EmailKinds\" BETWEEN 0 AND 31 AND \"WebhookKinds\" BETWEEN 0 AND 31");

            // Whoever had every kind on in the bell keeps every kind on there: the new kinds are the ones about GPUs.
            migrationBuilder.Sql("UPDATE \"NotificationSettings\" SET \"PortalKinds\" = 31 WHERE \"PortalKinds\" = 7;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_QuotaGroups_JobIdle",
                table: "QuotaGroups");

            migrationBuilder.DropCheckConstraint(
                name: "CK_Notifications_Kind",
                table: "Notifications");

            migrationBuilder.DropCheckConstraint(
                name: "CK_NotificationSettings_Kinds",
                table: "NotificationSettings");

            migrationBuilder.DropColumn(
                name: "JobIdleAction",
                table: "QuotaGroups");

            migrationBuilder.DropColumn(
                name: "JobIdleGrace",
                table: "QuotaGroups");

            migrationBuilder.DropColumn(
                name: "JobIdleKeepFor",
                table: "QuotaGroups");

            migrationBuilder.DropColumn(
                name: "JobIdleThresholdPercent",
                table: "QuotaGroups");

            migrationBuilder.DropColumn(
                name: "JobIdleWindow",
                table: "QuotaGroups");

            migrationBuilder.Sql("DELETE FROM \"Notifications\" WHERE \"Kind\" IN ('IdleWarning','Reclaimed');");

            migrationBuilder.AddCheckConstraint(
                name: "CK_Notifications_Kind",
                table: "Notifications",
                sql: "\"Kind\" IN ('JobStarted','JobEnded','JobFailedToStart')");

            // The older schema knows none of the new kinds: their choices and notifications go with them.
            migrationBuilder.Sql("UPDATE \"NotificationSettings\" SET \"PortalKinds\" = \"PortalKinds\" & 7, \"EmailKinds\" = \"EmailKinds\" & 7, \"WebhookKinds\" = \"WebhookKinds\" & 7;");

            migrationBuilder.AddCheckConstraint(
                name: "CK_NotificationSettings_Kinds",
                table: "NotificationSettings",
                sql: "\"PortalKinds\" BETWEEN 0 AND 7 AND \"EmailKinds\" BETWEEN 0 AND 7 AND \"WebhookKinds\" BETWEEN 0 AND 7");
        }
    }
}
