namespace Portal.Core.Quotas;

/// <summary>What a user sees on their page: each limit next to what they use of it now.</summary>
public sealed record QuotaUsage(
    EffectiveQuota Quota,
    int RunningGpus,
    int RunningJobs,
    int QueuedJobs,
    double GpuSecondsInWindow)
{
    /// <summary>GPU-hours used in the rolling window.</summary>
    public double GpuHoursInWindow => GpuSecondsInWindow / 3600;

    /// <summary>GPU-hours left in the window (never negative).</summary>
    public double GpuHoursLeft => Math.Max(0, Quota.GpuHoursPerWindow - GpuHoursInWindow);

    /// <summary>True when the window's GPU-hours are used up: new GPU jobs wait with
    /// <see cref="Jobs.PendingReason.GpuHoursExhausted"/>.</summary>
    public bool GpuHoursExhausted => GpuSecondsInWindow >= Quota.GpuSecondsPerWindow;
}
