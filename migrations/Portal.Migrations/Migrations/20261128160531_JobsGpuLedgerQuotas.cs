using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Portal.Migrations.Migrations
{
    /// <inheritdoc />
    public partial class JobsGpuLedgerQuotas : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Gpus",
                columns: table => new
                {
                    Uuid = table.Column<string>(type: "character varying(96)", maxLength: 96, nullable: false),
                    Index = table.Column<int>(type: "integer", nullable: false),
                    Name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    MemoryTotalMiB = table.Column<long>(type: "bigint", nullable: true),
                    PciBusId = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    DeviceNode = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    IsPresent = table.Column<bool>(type: "boolean", nullable: false),
                    LastSeenAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Drained = table.Column<bool>(type: "boolean", nullable: false),
                    DrainedBy = table.Column<string>(type: "character varying(256)", maxLength: 256, nullable: true),
                    DrainedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    DrainReason = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Gpus", x => x.Uuid);
                    table.CheckConstraint("CK_Gpus_DrainStamped", "\"Drained\" = (\"DrainedBy\" IS NOT NULL) AND \"Drained\" = (\"DrainedAt\" IS NOT NULL)");
                });

            migrationBuilder.CreateTable(
                name: "Jobs",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    OwnerId = table.Column<Guid>(type: "uuid", nullable: false),
                    OwnerLinuxUserName = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Image = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    Command = table.Column<string[]>(type: "text[]", nullable: false),
                    EnvironmentJson = table.Column<string>(type: "jsonb", nullable: false),
                    WorkingDirectory = table.Column<string>(type: "text", nullable: true),
                    MountsJson = table.Column<string>(type: "jsonb", nullable: false),
                    GpuCount = table.Column<int>(type: "integer", nullable: false),
                    SpecificGpuUuids = table.Column<string[]>(type: "text[]", nullable: false),
                    Cpus = table.Column<double>(type: "double precision", nullable: false),
                    MemoryMiB = table.Column<long>(type: "bigint", nullable: false),
                    Walltime = table.Column<TimeSpan>(type: "interval", nullable: false),
                    Priority = table.Column<int>(type: "integer", nullable: false),
                    State = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    PendingReason = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    ContainerName = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    ContainerId = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    ExitCode = table.Column<int>(type: "integer", nullable: true),
                    SubmittedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    StartedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    FinishedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    GpuSeconds = table.Column<double>(type: "double precision", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Jobs", x => x.Id);
                    table.CheckConstraint("CK_Jobs_ExitCodeOnlyWhenEnded", "\"ExitCode\" IS NULL OR \"State\" IN ('Succeeded', 'Failed')");
                    table.CheckConstraint("CK_Jobs_FinishedAtOnlyWhenFinal", "(\"FinishedAt\" IS NOT NULL) = \"State\" IN ('Succeeded', 'Failed', 'Cancelled', 'TimedOut', 'Lost')");
                    table.CheckConstraint("CK_Jobs_GpuSecondsOnlyWhenFinal", "\"GpuSeconds\" IS NULL OR (\"FinishedAt\" IS NOT NULL AND \"GpuSeconds\" >= 0)");
                    table.CheckConstraint("CK_Jobs_PendingOnlyWhileQueued", "\"PendingReason\" = 'None' OR \"State\" = 'Queued'");
                    table.CheckConstraint("CK_Jobs_PendingReason", "\"PendingReason\" IN ('None', 'Resources', 'Priority', 'UserGpuLimit', 'UserJobLimit', 'GpuHoursExhausted', 'GpuDrained')");
                    table.CheckConstraint("CK_Jobs_Resources", "\"GpuCount\" >= 0 AND \"Cpus\" > 0 AND \"MemoryMiB\" > 0 AND \"Walltime\" > interval '0'");
                    table.CheckConstraint("CK_Jobs_RunningHasContainer", "\"State\" <> 'Running' OR \"ContainerId\" IS NOT NULL");
                    table.CheckConstraint("CK_Jobs_SpecificGpusMatchCount", "cardinality(\"SpecificGpuUuids\") IN (0, \"GpuCount\")");
                    table.CheckConstraint("CK_Jobs_StartedAtOnceStarted", "(\"State\" <> 'Queued' OR \"StartedAt\" IS NULL) AND (\"State\" NOT IN ('Starting', 'Running') OR \"StartedAt\" IS NOT NULL)");
                    table.CheckConstraint("CK_Jobs_State", "\"State\" IN ('Queued', 'Starting', 'Running', 'Succeeded', 'Failed', 'Cancelled', 'TimedOut', 'Lost')");
                    table.CheckConstraint("CK_Jobs_SucceededMeansExitZero", "\"State\" <> 'Succeeded' OR \"ExitCode\" = 0");
                    table.CheckConstraint("CK_Jobs_TimesInOrder", "\"StartedAt\" >= \"SubmittedAt\" AND \"FinishedAt\" >= COALESCE(\"StartedAt\", \"SubmittedAt\")");
                    table.ForeignKey(
                        name: "FK_Jobs_AspNetUsers_OwnerId",
                        column: x => x.OwnerId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "QuotaDefault",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false),
                    MaxConcurrentGpus = table.Column<int>(type: "integer", nullable: true),
                    MaxConcurrentJobs = table.Column<int>(type: "integer", nullable: true),
                    MaxQueuedJobs = table.Column<int>(type: "integer", nullable: true),
                    GpuHoursPerWindow = table.Column<double>(type: "double precision", nullable: true),
                    Window = table.Column<TimeSpan>(type: "interval", nullable: true),
                    MaxWalltime = table.Column<TimeSpan>(type: "interval", nullable: true),
                    MaxCpusPerJob = table.Column<double>(type: "double precision", nullable: true),
                    MaxMemoryMiBPerJob = table.Column<long>(type: "bigint", nullable: true),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuotaDefault", x => x.Id);
                    table.CheckConstraint("CK_QuotaDefault_Complete", "\"MaxConcurrentGpus\" IS NOT NULL AND \"MaxConcurrentJobs\" IS NOT NULL AND \"MaxQueuedJobs\" IS NOT NULL AND \"GpuHoursPerWindow\" IS NOT NULL AND \"Window\" IS NOT NULL AND \"MaxWalltime\" IS NOT NULL AND \"MaxCpusPerJob\" IS NOT NULL AND \"MaxMemoryMiBPerJob\" IS NOT NULL");
                    table.CheckConstraint("CK_QuotaDefault_Limits", "(\"MaxConcurrentGpus\" IS NULL OR \"MaxConcurrentGpus\" >= 0) AND (\"MaxConcurrentJobs\" IS NULL OR \"MaxConcurrentJobs\" >= 0) AND (\"MaxQueuedJobs\" IS NULL OR \"MaxQueuedJobs\" >= 0) AND (\"GpuHoursPerWindow\" IS NULL OR \"GpuHoursPerWindow\" >= 0) AND (\"Window\" IS NULL OR \"Window\" > interval '0') AND (\"MaxWalltime\" IS NULL OR \"MaxWalltime\" > interval '0') AND (\"MaxCpusPerJob\" IS NULL OR \"MaxCpusPerJob\" > 0) AND (\"MaxMemoryMiBPerJob\" IS NULL OR \"MaxMemoryMiBPerJob\" > 0)");
                    table.CheckConstraint("CK_QuotaDefault_SingleRow", "\"Id\" = 1");
                });

            migrationBuilder.CreateTable(
                name: "QuotaGroups",
                columns: table => new
                {
                    Id = table.Column<int>(type: "integer", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    Name = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    MaxConcurrentGpus = table.Column<int>(type: "integer", nullable: true),
                    MaxConcurrentJobs = table.Column<int>(type: "integer", nullable: true),
                    MaxQueuedJobs = table.Column<int>(type: "integer", nullable: true),
                    GpuHoursPerWindow = table.Column<double>(type: "double precision", nullable: true),
                    Window = table.Column<TimeSpan>(type: "interval", nullable: true),
                    MaxWalltime = table.Column<TimeSpan>(type: "interval", nullable: true),
                    MaxCpusPerJob = table.Column<double>(type: "double precision", nullable: true),
                    MaxMemoryMiBPerJob = table.Column<long>(type: "bigint", nullable: true),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuotaGroups", x => x.Id);
                    table.CheckConstraint("CK_QuotaGroups_Limits", "(\"MaxConcurrentGpus\" IS NULL OR \"MaxConcurrentGpus\" >= 0) AND (\"MaxConcurrentJobs\" IS NULL OR \"MaxConcurrentJobs\" >= 0) AND (\"MaxQueuedJobs\" IS NULL OR \"MaxQueuedJobs\" >= 0) AND (\"GpuHoursPerWindow\" IS NULL OR \"GpuHoursPerWindow\" >= 0) AND (\"Window\" IS NULL OR \"Window\" > interval '0') AND (\"MaxWalltime\" IS NULL OR \"MaxWalltime\" > interval '0') AND (\"MaxCpusPerJob\" IS NULL OR \"MaxCpusPerJob\" > 0) AND (\"MaxMemoryMiBPerJob\" IS NULL OR \"MaxMemoryMiBPerJob\" > 0)");
                });

            migrationBuilder.CreateTable(
                name: "UserQuotaOverrides",
                columns: table => new
                {
                    UserId = table.Column<Guid>(type: "uuid", nullable: false),
                    MaxConcurrentGpus = table.Column<int>(type: "integer", nullable: true),
                    MaxConcurrentJobs = table.Column<int>(type: "integer", nullable: true),
                    MaxQueuedJobs = table.Column<int>(type: "integer", nullable: true),
                    GpuHoursPerWindow = table.Column<double>(type: "double precision", nullable: true),
                    Window = table.Column<TimeSpan>(type: "interval", nullable: true),
                    MaxWalltime = table.Column<TimeSpan>(type: "interval", nullable: true),
                    MaxCpusPerJob = table.Column<double>(type: "double precision", nullable: true),
                    MaxMemoryMiBPerJob = table.Column<long>(type: "bigint", nullable: true),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_UserQuotaOverrides", x => x.UserId);
                    table.CheckConstraint("CK_UserQuotaOverrides_Limits", "(\"MaxConcurrentGpus\" IS NULL OR \"MaxConcurrentGpus\" >= 0) AND (\"MaxConcurrentJobs\" IS NULL OR \"MaxConcurrentJobs\" >= 0) AND (\"MaxQueuedJobs\" IS NULL OR \"MaxQueuedJobs\" >= 0) AND (\"GpuHoursPerWindow\" IS NULL OR \"GpuHoursPerWindow\" >= 0) AND (\"Window\" IS NULL OR \"Window\" > interval '0') AND (\"MaxWalltime\" IS NULL OR \"MaxWalltime\" > interval '0') AND (\"MaxCpusPerJob\" IS NULL OR \"MaxCpusPerJob\" > 0) AND (\"MaxMemoryMiBPerJob\" IS NULL OR \"MaxMemoryMiBPerJob\" > 0)");
                    table.ForeignKey(
                        name: "FK_UserQuotaOverrides_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "GpuAllocations",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    GpuUuid = table.Column<string>(type: "character varying(96)", maxLength: 96, nullable: false),
                    JobId = table.Column<long>(type: "bigint", nullable: false),
                    Position = table.Column<int>(type: "integer", nullable: false),
                    AllocatedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    ReleasedAt = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_GpuAllocations", x => x.Id);
                    table.CheckConstraint("CK_GpuAllocations_Position", "\"Position\" >= 0");
                    table.CheckConstraint("CK_GpuAllocations_ReleasedAfterAllocated", "\"ReleasedAt\" >= \"AllocatedAt\"");
                    table.ForeignKey(
                        name: "FK_GpuAllocations_Gpus_GpuUuid",
                        column: x => x.GpuUuid,
                        principalTable: "Gpus",
                        principalColumn: "Uuid",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_GpuAllocations_Jobs_JobId",
                        column: x => x.JobId,
                        principalTable: "Jobs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "JobStateChanges",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityAlwaysColumn),
                    JobId = table.Column<long>(type: "bigint", nullable: false),
                    FromState = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: true),
                    ToState = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    At = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    Reason = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_JobStateChanges", x => x.Id);
                    table.CheckConstraint("CK_JobStateChanges_FromState", "\"FromState\" IS NULL OR \"FromState\" IN ('Queued', 'Starting', 'Running', 'Succeeded', 'Failed', 'Cancelled', 'TimedOut', 'Lost')");
                    table.CheckConstraint("CK_JobStateChanges_SubmissionEntersQueue", "\"FromState\" IS NOT NULL OR \"ToState\" = 'Queued'");
                    table.CheckConstraint("CK_JobStateChanges_ToState", "\"ToState\" IN ('Queued', 'Starting', 'Running', 'Succeeded', 'Failed', 'Cancelled', 'TimedOut', 'Lost')");
                    table.ForeignKey(
                        name: "FK_JobStateChanges_Jobs_JobId",
                        column: x => x.JobId,
                        principalTable: "Jobs",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "QuotaGroupMembers",
                columns: table => new
                {
                    GroupId = table.Column<int>(type: "integer", nullable: false),
                    UserId = table.Column<Guid>(type: "uuid", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QuotaGroupMembers", x => new { x.GroupId, x.UserId });
                    table.ForeignKey(
                        name: "FK_QuotaGroupMembers_AspNetUsers_UserId",
                        column: x => x.UserId,
                        principalTable: "AspNetUsers",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_QuotaGroupMembers_QuotaGroups_GroupId",
                        column: x => x.GroupId,
                        principalTable: "QuotaGroups",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.InsertData(
                table: "QuotaDefault",
                columns: new[] { "Id", "GpuHoursPerWindow", "MaxConcurrentGpus", "MaxConcurrentJobs", "MaxCpusPerJob", "MaxMemoryMiBPerJob", "MaxQueuedJobs", "MaxWalltime", "UpdatedAt", "Window" },
                values: new object[] { 1, 168.0, 2, 4, 16.0, 65536L, 50, new TimeSpan(2, 0, 0, 0, 0), new DateTimeOffset(new DateTime(2026, 11, 28, 0, 0, 0, 0, DateTimeKind.Unspecified), new TimeSpan(0, 0, 0, 0, 0)), new TimeSpan(7, 0, 0, 0, 0) });

            migrationBuilder.CreateIndex(
                name: "IX_GpuAllocations_GpuUuid_Active",
                table: "GpuAllocations",
                column: "GpuUuid",
                unique: true,
                filter: "\"ReleasedAt\" IS NULL");

            migrationBuilder.CreateIndex(
                name: "IX_GpuAllocations_JobId_GpuUuid",
                table: "GpuAllocations",
                columns: new[] { "JobId", "GpuUuid" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_GpuAllocations_JobId_Position",
                table: "GpuAllocations",
                columns: new[] { "JobId", "Position" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_JobStateChanges_JobId_Id",
                table: "JobStateChanges",
                columns: new[] { "JobId", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_Jobs_ContainerName",
                table: "Jobs",
                column: "ContainerName",
                unique: true,
                filter: "\"ContainerName\" IS NOT NULL");

            migrationBuilder.CreateIndex(
                name: "IX_Jobs_FinishedAt",
                table: "Jobs",
                column: "FinishedAt");

            migrationBuilder.CreateIndex(
                name: "IX_Jobs_OwnerId_State",
                table: "Jobs",
                columns: new[] { "OwnerId", "State" });

            migrationBuilder.CreateIndex(
                name: "IX_Jobs_State",
                table: "Jobs",
                column: "State");

            migrationBuilder.CreateIndex(
                name: "IX_QuotaGroupMembers_UserId",
                table: "QuotaGroupMembers",
                column: "UserId");

            migrationBuilder.CreateIndex(
                name: "IX_QuotaGroups_Name",
                table: "QuotaGroups",
                column: "Name",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "GpuAllocations");

            migrationBuilder.DropTable(
                name: "JobStateChanges");

            migrationBuilder.DropTable(
                name: "QuotaDefault");

            migrationBuilder.DropTable(
                name: "QuotaGroupMembers");

            migrationBuilder.DropTable(
                name: "UserQuotaOverrides");

            migrationBuilder.DropTable(
                name: "Gpus");

            migrationBuilder.DropTable(
                name: "Jobs");

            migrationBuilder.DropTable(
                name: "QuotaGroups");
        }
    }
}
