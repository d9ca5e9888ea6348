using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Data.Entities.Jobs;

namespace Portal.Data.Configurations.Jobs;

internal sealed class GpuRecordConfiguration : IEntityTypeConfiguration<GpuRecord>
{
    public void Configure(EntityTypeBuilder<GpuRecord> builder)
    {
        builder.ToTable("Gpus", table =>
            // A drain always says who and when, and an undrained GPU carries no stale drain stamp.
            table.HasCheckConstraint("CK_Gpus_DrainStamped",
                "\"Drained\" = (\"DrainedBy\" IS NOT NULL) AND \"Drained\" = (\"DrainedAt\" IS NOT NULL)"));
        builder.HasKey(g => g.Uuid);
        builder.Property(g => g.Uuid).HasMaxLength(96);
        builder.Property(g => g.Name).HasMaxLength(128);
        builder.Property(g => g.PciBusId).HasMaxLength(32);
        builder.Property(g => g.DeviceNode).HasMaxLength(64);
        builder.Property(g => g.ParentUuid).HasMaxLength(96);
        // The scheduler asks "does this GPU have instances" on every pass.
        builder.HasIndex(g => g.ParentUuid);
        builder.HasOne<GpuRecord>().WithMany().HasForeignKey(g => g.ParentUuid).OnDelete(DeleteBehavior.Restrict);
        builder.Property(g => g.DrainedBy).HasMaxLength(256);
        builder.Property(g => g.DrainReason).HasMaxLength(1024);
    }
}
