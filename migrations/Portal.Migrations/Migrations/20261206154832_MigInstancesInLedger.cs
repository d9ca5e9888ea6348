using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Portal.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class MigInstancesInLedger : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "ParentUuid",
                table: "Gpus",
                type: "character varying(96)",
                maxLength: 96,
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "IX_Gpus_ParentUuid",
                table: "Gpus",
                column: "ParentUuid");

            migrationBuilder.AddForeignKey(
                name: "FK_Gpus_Gpus_ParentUuid",
                table: "Gpus",
                column: "ParentUuid",
                principalTable: "Gpus",
                principalColumn: "Uuid",
                onDelete: ReferentialAction.Restrict);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_Gpus_Gpus_ParentUuid",
                table: "Gpus");

            migrationBuilder.DropIndex(
                name: "IX_Gpus_ParentUuid",
                table: "Gpus");

            migrationBuilder.DropColumn(
                name: "ParentUuid",
                table: "Gpus");
        }
    }
}
