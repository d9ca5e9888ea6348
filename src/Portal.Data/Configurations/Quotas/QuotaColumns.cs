using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Portal.Data.Entities.Quotas;

namespace Portal.Data.Configurations.Quotas;

/// <summary>The check constraints every quota policy table shares: a limit, when set, is a sensible number.</summary>
internal static class QuotaColumns
{
    public static void AddRangeChecks<T>(TableBuilder<T> table, string prefix)
        where T : class, IQuotaPolicyColumns
    {
        table.HasCheckConstraint($"CK_{prefix}_Limits",
            "(\"MaxConcurrentGpus\" IS NULL OR \"MaxConcurrentGpus\" >= 0)"
            + " AND (\"MaxConcurrentJobs\" IS NULL OR \"MaxConcurrentJobs\" >= 0)"
            + " AND (\"MaxQueuedJobs\" IS NULL OR \"MaxQueuedJobs\" >= 0)"
            + " AND (\"GpuHoursPerWindow\" IS NULL OR \"GpuHoursPerWindow\" >= 0)"
            + " AND (\"Window\" IS NULL OR \"Window\" > interval '0')"
            + " AND (\"MaxWalltime\" IS NULL OR \"MaxWalltime\" > interval '0')"
            + " AND (\"MaxCpusPerJob\" IS NULL OR \"MaxCpusPerJob\" > 0)"
            + " AND (\"MaxMemoryMiBPerJob\" IS NULL OR \"MaxMemoryMiBPerJob\" > 0)"
            + " AND (\"MaxImageGiB\" IS NULL OR \"MaxImageGiB\" > 0)");
    }
}
