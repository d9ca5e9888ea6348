using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Data.Entities;
using Portal.Data.Entities.Quotas;

namespace Portal.Data.Configurations.Quotas;

internal sealed class QuotaGroupRecordConfiguration : IEntityTypeConfiguration<QuotaGroupRecord>
{
    public void Configure(EntityTypeBuilder<QuotaGroupRecord> builder)
    {
        builder.ToTable("QuotaGroups", table =>
        {
            QuotaColumns.AddRangeChecks(table, "QuotaGroups");
            table.HasCheckConstraint("CK_QuotaGroups_Idle",
                "(\"IdleWindow\" IS NULL OR \"IdleWindow\" >= interval '1 second')"
                + " AND (\"IdleGrace\" IS NULL OR \"IdleGrace\" >= interval '0')"
                + " AND (\"IdleGpuThresholdPercent\" IS NULL OR (\"IdleGpuThresholdPercent\" >= 0 AND \"IdleGpuThresholdPercent\" <= 100))"
                + " AND (\"IdleKeepLimit\" IS NULL OR \"IdleKeepLimit\" > interval '0')");
            // Job idle reclaim is on with every setting, or off with none.
            table.HasCheckConstraint("CK_QuotaGroups_JobIdle",
                "(\"JobIdleWindow\" IS NULL AND \"JobIdleThresholdPercent\" IS NULL AND \"JobIdleGrace\" IS NULL AND \"JobIdleAction\" IS NULL AND \"JobIdleKeepFor\" IS NULL)"
                + " OR (\"JobIdleWindow\" >= interval '1 second' AND \"JobIdleThresholdPercent\" > 0 AND \"JobIdleThresholdPercent\" <= 100"
                + " AND \"JobIdleGrace\" >= interval '0' AND \"JobIdleAction\" IN ('WarnOnly','Stop','StopAndRequeue') AND \"JobIdleKeepFor\" > interval '0')");
        });
        builder.Property(g => g.JobIdleAction).HasMaxLength(16);
        builder.Property(g => g.Id).UseIdentityAlwaysColumn();
        builder.Property(g => g.Name).HasMaxLength(64);
        builder.HasIndex(g => g.Name).IsUnique();
        builder.HasMany(g => g.Members).WithOne().HasForeignKey(m => m.GroupId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class QuotaGroupMemberConfiguration : IEntityTypeConfiguration<QuotaGroupMember>
{
    public void Configure(EntityTypeBuilder<QuotaGroupMember> builder)
    {
        builder.ToTable("QuotaGroupMembers");
        builder.HasKey(m => new { m.GroupId, m.UserId });
        builder.HasOne<PortalUser>().WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(m => m.UserId);
    }
}
