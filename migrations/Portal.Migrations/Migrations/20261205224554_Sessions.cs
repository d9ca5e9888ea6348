using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class Sessions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "SessionKind",
                table: "Jobs",
                type: "character varying(16)",
                maxLength: 16,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "SessionPort",
                table: "Jobs",
                type: "integer",
                nullable: true);

            migrationBuilder.AddCheckConstraint(
                name: "CK_Jobs_SessionKind",
                table: "Jobs",
                sql: "\"SessionKind\" IS NULL OR \"SessionKind\" IN ('Jupyter', 'VsCode', 'WebApp')");

            migrationBuilder.AddCheckConstraint(
                name: "CK_Jobs_SessionPortOnlyForWebApps",
                table: "Jobs",
                sql: "\"SessionPort\" IS NULL OR (\"SessionKind\" = 'WebApp' AND \"SessionPort\" BETWEEN 1 AND 65535)");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropCheckConstraint(
                name: "CK_Jobs_SessionKind",
                table: "Jobs");

            migrationBuilder.DropCheckConstraint(
                name: "CK_Jobs_SessionPortOnlyForWebApps",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "SessionKind",
                table: "Jobs");

            migrationBuilder.DropColumn(
                name: "SessionPort",
                table: "Jobs");
        }
    }
}
