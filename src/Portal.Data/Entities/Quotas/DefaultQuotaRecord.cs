namespace Portal.Data.Entities.Quotas;

/// <summary>The default quota policy: a single row (id 1) that sets every field (check constraints).</summary>
public sealed class DefaultQuotaRecord : IQuotaPolicyColumns
{
    /// <summary>Always <see cref="SingletonId"/>.</summary>
    public int Id { get; set; } = SingletonId;

    public const int SingletonId = 1;

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
