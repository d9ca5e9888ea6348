namespace Portal.Data.Entities.Quotas;

/// <summary>One portal account's own quota override; it wins over every group, also when stricter.</summary>
public sealed class UserQuotaOverrideRecord : IQuotaPolicyColumns
{
    public Guid UserId { get; set; }

    public int? MaxConcurrentGpus { get; set; }

    public int? MaxConcurrentJobs { get; set; }

    public int? MaxQueuedJobs { get; set; }

    public double? GpuHoursPerWindow { get; set; }

    public TimeSpan? Window { get; set; }

    public TimeSpan? MaxWalltime { get; set; }

    public double? MaxCpusPerJob { get; set; }

    public long? MaxMemoryMiBPerJob { get; set; }

    public double? MaxImageGiB { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
