using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Data.Entities.Quotas;

namespace Portal.Data.Configurations.Quotas;

internal sealed class DefaultQuotaRecordConfiguration : IEntityTypeConfiguration<DefaultQuotaRecord>
{
    public void Configure(EntityTypeBuilder<DefaultQuotaRecord> builder)
    {
        builder.ToTable("QuotaDefault", table =>
        {
            QuotaColumns.AddRangeChecks(table, "QuotaDefault");
            table.HasCheckConstraint("CK_QuotaDefault_SingleRow", $"\"Id\" = {DefaultQuotaRecord.SingletonId}");
            // The default is the bottom layer: nothing below it to inherit from.
            table.HasCheckConstraint("CK_QuotaDefault_Complete",
                "\"MaxConcurrentGpus\" IS NOT NULL AND \"MaxConcurrentJobs\" IS NOT NULL AND \"MaxQueuedJobs\" IS NOT NULL"
                + " AND \"GpuHoursPerWindow\" IS NOT NULL AND \"Window\" IS NOT NULL AND \"MaxWalltime\" IS NOT NULL"
                + " AND \"MaxCpusPerJob\" IS NOT NULL AND \"MaxMemoryMiBPerJob\" IS NOT NULL");
        });
        builder.Property(q => q.Id).ValueGeneratedNever();

        // A fresh database has a usable default so the first submit works; administrators change it on the quota page.
        builder.HasData(new DefaultQuotaRecord
        {
            Id = DefaultQuotaRecord.SingletonId,
            MaxConcurrentGpus = 2,
            MaxConcurrentJobs = 4,
            MaxQueuedJobs = 50,
            GpuHoursPerWindow = 168,
            Window = TimeSpan.FromDays(7),
            MaxWalltime = TimeSpan.FromHours(48),
            MaxCpusPerJob = 16,
            MaxMemoryMiBPerJob = 65536,
            UpdatedAt = new DateTimeOffset(2026, 11, 28, 0, 0, 0, TimeSpan.Zero),
        });
    }
}
