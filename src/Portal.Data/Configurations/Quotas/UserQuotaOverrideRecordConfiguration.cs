using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Data.Entities;
using Portal.Data.Entities.Quotas;

namespace Portal.Data.Configurations.Quotas;

internal sealed class UserQuotaOverrideRecordConfiguration : IEntityTypeConfiguration<UserQuotaOverrideRecord>
{
    public void Configure(EntityTypeBuilder<UserQuotaOverrideRecord> builder)
    {
        builder.ToTable("UserQuotaOverrides", table => QuotaColumns.AddRangeChecks(table, "UserQuotaOverrides"));
        builder.HasKey(o => o.UserId);
        builder.HasOne<PortalUser>().WithOne().HasForeignKey<UserQuotaOverrideRecord>(o => o.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
