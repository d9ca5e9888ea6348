namespace Portal.Core.Quotas;

/// <summary>
/// One layer of quota settings: the default policy, a group's policy, or a per-user override.
/// A null field inherits from the layer below (user override over groups over default), so a policy row in the
/// database stores only what it changes.
/// </summary>
public sealed record QuotaPolicy
{
    /// <summary>GPUs one user may hold at once across all their running jobs.</summary>
    public int? MaxConcurrentGpus { get; init; }

    /// <summary>Jobs one user may have starting or running at once.</summary>
    public int? MaxConcurrentJobs { get; init; }

    /// <summary>Jobs one user may have waiting in the queue; a submit beyond it is refused.</summary>
    public int? MaxQueuedJobs { get; init; }

    /// <summary>GPU-hours one user may use per <see cref="Window"/>.</summary>
    public double? GpuHoursPerWindow { get; init; }

    /// <summary>The rolling window <see cref="GpuHoursPerWindow"/> counts over, e.g. 7 days.</summary>
    public TimeSpan? Window { get; init; }

    /// <summary>The longest walltime one job may ask for.</summary>
    public TimeSpan? MaxWalltime { get; init; }

    /// <summary>The most CPU cores one job may ask for.</summary>
    public double? MaxCpusPerJob { get; init; }

    /// <summary>The most memory one job may ask for, in MiB.</summary>
    public long? MaxMemoryMiBPerJob { get; init; }

    /// <summary>The most disk one user's own images may take, in GiB (the Images page's pull limit). Unset in the
    /// default policy: no limit.</summary>
    public double? MaxImageGiB { get; init; }
}

/// <summary>The limits that apply to one user after resolving every layer: no field is left to inherit.</summary>
public sealed record EffectiveQuota(
    int MaxConcurrentGpus,
    int MaxConcurrentJobs,
    int MaxQueuedJobs,
    double GpuHoursPerWindow,
    TimeSpan Window,
    TimeSpan MaxWalltime,
    double MaxCpusPerJob,
    long MaxMemoryMiBPerJob)
{
    /// <summary><see cref="GpuHoursPerWindow"/> in GPU-seconds, the unit usage is kept in.</summary>
    public double GpuSecondsPerWindow => GpuHoursPerWindow * 3600;

    /// <summary>The start of the rolling window that ends at <paramref name="now"/>.</summary>
    public DateTimeOffset WindowStart(DateTimeOffset now) => now - Window;

    /// <summary>The most disk the user's own images may take, in GiB; null: no limit.</summary>
    public double? MaxImageGiB { get; init; }

    /// <summary><see cref="MaxImageGiB"/> in bytes.</summary>
    public long? MaxImageBytes => MaxImageGiB is { } gib ? (long)Math.Round(gib * (1L << 30)) : null;
}
