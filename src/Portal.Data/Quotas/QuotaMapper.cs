using Portal.Core.Quotas;
using Portal.Data.Entities.Quotas;

namespace Portal.Data.Quotas;

/// <summary>Converts between <see cref="QuotaPolicy"/> and the policy columns of the default, group and override rows.</summary>
public static class QuotaMapper
{
    public static QuotaPolicy ToPolicy(IQuotaPolicyColumns columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        return new QuotaPolicy
        {
            MaxConcurrentGpus = columns.MaxConcurrentGpus,
            MaxConcurrentJobs = columns.MaxConcurrentJobs,
            MaxQueuedJobs = columns.MaxQueuedJobs,
            GpuHoursPerWindow = columns.GpuHoursPerWindow,
            Window = columns.Window,
            MaxWalltime = columns.MaxWalltime,
            MaxCpusPerJob = columns.MaxCpusPerJob,
            MaxMemoryMiBPerJob = columns.MaxMemoryMiBPerJob,
            MaxImageGiB = columns.MaxImageGiB,
        };
    }

    public static void CopyTo(QuotaPolicy policy, IQuotaPolicyColumns columns)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(columns);
        columns.MaxConcurrentGpus = policy.MaxConcurrentGpus;
        columns.MaxConcurrentJobs = policy.MaxConcurrentJobs;
        columns.MaxQueuedJobs = policy.MaxQueuedJobs;
        columns.GpuHoursPerWindow = policy.GpuHoursPerWindow;
        columns.Window = policy.Window;
        columns.MaxWalltime = policy.MaxWalltime;
        columns.MaxCpusPerJob = policy.MaxCpusPerJob;
        columns.MaxMemoryMiBPerJob = policy.MaxMemoryMiBPerJob;
        columns.MaxImageGiB = policy.MaxImageGiB;
    }
}
