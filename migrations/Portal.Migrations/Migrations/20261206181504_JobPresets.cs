using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Portal.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class JobPresets : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "JobPresets",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    OwnerId = table.Column<Guid>(type: "uuid", nullable: true),
                    Name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    ValuesJson = table.Column<string>(type: "jsonb", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_JobPresets", x => x.Id);
                    table.CheckConstraint("CK_JobPresets_Name", "\"Name\" ~ '^[A-Za-z0-9]([A-Za-z0-9 ._+-]*[A-Za-z0-9._+-])?$'");
                    table.CheckConstraint("CK_JobPresets_Times", "\"UpdatedAt\" >= \"CreatedAt\"");
                    table.CheckConstraint("CK_JobPresets_ValuesObject", "jsonb_typeof(\"ValuesJson\") = 'object'");
                    table.CheckConstraint("CK_JobPresets_ValuesSize", "char_length(\"ValuesJson\"::text) <= 32768");
                    table.ForeignKey(
                        name: "FK_JobPresets_AspNetUsers_OwnerId",
                        column: x => x.OwnerId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_JobPresets_OwnerId_Name",
                table: "JobPresets",
                columns: new[] { "OwnerId", "Name" },
                unique: true)
                .Annotation("Npgsql:NullsDistinct", false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "JobPresets");
        }
    }
}
