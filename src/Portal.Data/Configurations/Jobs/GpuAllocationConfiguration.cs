using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Data.Entities.Jobs;

namespace Portal.Data.Configurations.Jobs;

internal sealed class GpuAllocationConfiguration : IEntityTypeConfiguration<GpuAllocation>
{
    /// <summary>The index that makes "one GPU, at most one active job" a database fact.</summary>
    public const string ActiveGpuIndex = "IX_GpuAllocations_GpuUuid_Active";

    public void Configure(EntityTypeBuilder<GpuAllocation> builder)
    {
        builder.ToTable("GpuAllocations", table =>
        {
            table.HasCheckConstraint("CK_GpuAllocations_ReleasedAfterAllocated", "\"ReleasedAt\" >= \"AllocatedAt\"");
            table.HasCheckConstraint("CK_GpuAllocations_Position", "\"Position\" >= 0");
        });
        builder.Property(a => a.Id).UseIdentityAlwaysColumn();
        builder.Property(a => a.GpuUuid).HasMaxLength(96);

        // A GPU held by at most one job at a time: two scheduling passes that race (or any bug) end in a unique
        // violation instead of two containers on one GPU.
        builder.HasIndex(a => a.GpuUuid).IsUnique().HasFilter("\"ReleasedAt\" IS NULL").HasDatabaseName(ActiveGpuIndex);
        // A job holds a GPU once at a time; a requeued job may get the same GPU again in a later attempt.
        builder.HasIndex(a => new { a.JobId, a.GpuUuid }).IsUnique().HasFilter("\"ReleasedAt\" IS NULL");
        builder.HasIndex(a => new { a.JobId, a.Position }).IsUnique();

        // The ledger is history: neither GPUs nor jobs that appear in it can be deleted.
        builder.HasOne<GpuRecord>().WithMany().HasForeignKey(a => a.GpuUuid).OnDelete(DeleteBehavior.Restrict);
        builder.HasOne<JobRecord>().WithMany().HasForeignKey(a => a.JobId).OnDelete(DeleteBehavior.Restrict);
    }
}
