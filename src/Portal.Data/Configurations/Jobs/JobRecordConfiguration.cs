using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Data.Entities;
using Portal.Data.Entities.Jobs;
using Portal.Launcher.Protocol;

namespace Portal.Data.Configurations.Jobs;

internal sealed class JobRecordConfiguration : IEntityTypeConfiguration<JobRecord>
{
    public void Configure(EntityTypeBuilder<JobRecord> builder)
    {
        builder.ToTable("Jobs", table =>
        {
            table.HasCheckConstraint("CK_Jobs_State", StateSql.InList("State", StateSql.AllStates));
            table.HasCheckConstraint("CK_Jobs_PendingReason", StateSql.InList("PendingReason", StateSql.AllPendingReasons));
            // The rules below are what Job's state machine guarantees; stating them again in the database means a
            // bug or a hand-written UPDATE cannot leave a job in a state no history could produce.
            table.HasCheckConstraint("CK_Jobs_PendingOnlyWhileQueued", "\"PendingReason\" = 'None' OR \"State\" = 'Queued'");
            table.HasCheckConstraint("CK_Jobs_FinishedAtOnlyWhenFinal",
                "(\"FinishedAt\" IS NOT NULL) = " + StateSql.InList("State", StateSql.FinalStates));
            table.HasCheckConstraint("CK_Jobs_StartedAtOnceStarted",
                "(\"State\" <> 'Queued' OR \"StartedAt\" IS NULL) AND (\"State\" NOT IN ('Starting', 'Running') OR \"StartedAt\" IS NOT NULL)");
            table.HasCheckConstraint("CK_Jobs_RunningHasContainer", "\"State\" <> 'Running' OR \"ContainerId\" IS NOT NULL");
            table.HasCheckConstraint("CK_Jobs_ExitCodeOnlyWhenEnded",
                "\"ExitCode\" IS NULL OR \"State\" IN ('Succeeded', 'Failed')");
            table.HasCheckConstraint("CK_Jobs_SucceededMeansExitZero", "\"State\" <> 'Succeeded' OR \"ExitCode\" = 0");
            table.HasCheckConstraint("CK_Jobs_GpuSecondsOnlyWhenFinal",
                "\"GpuSeconds\" IS NULL OR (\"FinishedAt\" IS NOT NULL AND \"GpuSeconds\" >= 0)");
            // The cgroup's figures are read once, when the job ends.
            table.HasCheckConstraint("CK_Jobs_ResourceUsageOnlyWhenFinal",
                "(\"CpuSeconds\" IS NULL AND \"PeakMemoryBytes\" IS NULL AND \"OomKills\" IS NULL) OR \"FinishedAt\" IS NOT NULL");
            table.HasCheckConstraint("CK_Jobs_ResourceUsageNotNegative",
                "\"CpuSeconds\" >= 0 AND \"PeakMemoryBytes\" >= 0 AND \"OomKills\" >= 0");
            table.HasCheckConstraint("CK_Jobs_TimesInOrder",
                "\"StartedAt\" >= \"SubmittedAt\" AND \"FinishedAt\" >= COALESCE(\"StartedAt\", \"SubmittedAt\")");
            table.HasCheckConstraint("CK_Jobs_Resources",
                "\"GpuCount\" >= 0 AND \"Cpus\" > 0 AND \"MemoryMiB\" > 0 AND \"Walltime\" > interval '0'");
            table.HasCheckConstraint("CK_Jobs_SpecificGpusMatchCount",
                "cardinality(\"SpecificGpuUuids\") IN (0, \"GpuCount\")");
            table.HasCheckConstraint("CK_Jobs_SessionKind", "\"SessionKind\" IS NULL OR \"SessionKind\" IN ('Jupyter', 'VsCode', 'WebApp')");
            table.HasCheckConstraint("CK_Jobs_SessionPortOnlyForWebApps",
                "\"SessionPort\" IS NULL OR (\"SessionKind\" = 'WebApp' AND \"SessionPort\" BETWEEN 1 AND 65535)");
            // Only a batch job on this host is requeued (JobSpecValidator says why to the submitter).
            table.HasCheckConstraint("CK_Jobs_RestartableOnlyForLocalBatchJobs",
                "NOT \"Restartable\" OR (\"SessionKind\" IS NULL AND \"AppFile\" IS NULL AND \"Backend\" = 'local')");
            table.HasCheckConstraint("CK_Jobs_Attempts", "\"Attempts\" >= 0");
            table.HasCheckConstraint("CK_Jobs_Backend", StateSql.InList("Backend", [JobBackends.Local, JobBackends.Slurm]));
            // A local job keeps its GPUs in the ledger and has no backend id; a started Slurm job always has one.
            table.HasCheckConstraint("CK_Jobs_BackendFieldsOnlyForSlurm",
                "\"Backend\" = 'slurm' OR (\"BackendJobId\" IS NULL AND \"BackendState\" IS NULL AND cardinality(\"BackendGpus\") = 0)");
            table.HasCheckConstraint("CK_Jobs_StartedSlurmJobHasId",
                "\"Backend\" <> 'slurm' OR \"State\" NOT IN ('Starting', 'Running') OR \"BackendJobId\" IS NOT NULL");
        });
        builder.Property(j => j.Id).UseIdentityAlwaysColumn();
        builder.Property(j => j.OwnerLinuxUserName).HasMaxLength(LinuxUserName.MaxLength);
        builder.Property(j => j.Name).HasMaxLength(64);
        builder.Property(j => j.Image).HasMaxLength(255);
        builder.Property(j => j.Command).HasColumnType("text[]");
        builder.Property(j => j.EnvironmentJson).HasColumnType("jsonb");
        builder.Property(j => j.MountsJson).HasColumnType("jsonb");
        builder.Property(j => j.SpecificGpuUuids).HasColumnType("text[]");
        builder.Property(j => j.AppFile).HasMaxLength(Portal.Core.Apps.Yaml.YamlLimits.MaxChars);
        builder.Property(j => j.State).HasConversion<string>().HasMaxLength(16);
        builder.Property(j => j.PendingReason).HasConversion<string>().HasMaxLength(32);
        builder.Property(j => j.ContainerName).HasMaxLength(128);
        builder.Property(j => j.IdleKeepReason).HasMaxLength(JobRecord.MaxKeepReasonLength);
        builder.Property(j => j.ContainerId).HasMaxLength(128);
        builder.Property(j => j.SessionKind).HasMaxLength(16);
        builder.Property(j => j.Backend).HasMaxLength(16).HasDefaultValue(JobBackends.Local);
        builder.Property(j => j.BackendJobId).HasMaxLength(64);
        builder.Property(j => j.BackendState).HasMaxLength(32);
        builder.Property(j => j.BackendReason).HasMaxLength(256);
        builder.Property(j => j.BackendNodes).HasMaxLength(256);
        builder.Property(j => j.IdempotencyKey).HasMaxLength(Portal.Core.Jobs.IdempotencyKeys.MaxLength);
        builder.Property(j => j.BackendGpus).HasColumnType("text[]");

        // Owners are never deleted while they have jobs: the jobs are the accounting record.
        builder.HasOne<PortalUser>().WithMany().HasForeignKey(j => j.OwnerId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(j => new { j.OwnerId, j.State });
        builder.HasIndex(j => j.State);
        builder.HasIndex(j => j.FinishedAt);
        builder.HasIndex(j => j.ContainerName).IsUnique().HasFilter("\"ContainerName\" IS NOT NULL");
        // One Slurm job is at most one portal job, and the poll finds the portal job by it.
        builder.HasIndex(j => new { j.Backend, j.BackendJobId }).IsUnique().HasFilter("\"BackendJobId\" IS NOT NULL");
        // One job per owner and key, whatever the submit path: the store looks it up under the owner's submit lock,
        // and this index is the backstop.
        builder.HasIndex(j => new { j.OwnerId, j.IdempotencyKey }).IsUnique().HasFilter("\"IdempotencyKey\" IS NOT NULL");
    }
}
