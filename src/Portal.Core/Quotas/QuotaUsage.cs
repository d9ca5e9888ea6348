using Portal.Core.Jobs;

namespace Portal.Core.Quotas;

/// <summary>What a user sees on their page: each limit next to what they use of it now.</summary>
public sealed record QuotaUsage(
    EffectiveQuota Quota,
    int RunningGpus,
    int RunningJobs,
    int QueuedJobs,
    double GpuSecondsInWindow)
{
    /// <summary>A user's usage computed from their jobs: those holding GPUs count as running, queued ones as queued,
    /// and every job that held GPUs counts towards the window.</summary>
    /// <param name="quota">The user's resolved quota.</param>
    /// <param name="jobsOfOwner">The user's jobs; finished ones only matter if they ended inside the window.</param>
    /// <param name="now">The end of the window.</param>
    public static QuotaUsage Compute(EffectiveQuota quota, IEnumerable<Job> jobsOfOwner, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(quota);
        ArgumentNullException.ThrowIfNull(jobsOfOwner);
        int runningGpus = 0, runningJobs = 0, queuedJobs = 0;
        double gpuSeconds = 0;
        foreach (var job in jobsOfOwner)
        {
            if (job.State.HoldsGpus())
            {
                runningJobs++;
                runningGpus += job.AssignedGpuUuids.Count;
            }
            else if (job.State == JobState.Queued)
            {
                queuedJobs++;
            }

            gpuSeconds += job.UsageInterval()?.GpuSecondsWithin(quota.WindowStart(now), now) ?? 0;
        }

        return new QuotaUsage(quota, runningGpus, runningJobs, queuedJobs, gpuSeconds);
    }

    /// <summary>GPU-hours used in the rolling window.</summary>
    public double GpuHoursInWindow => GpuSecondsInWindow / 3600;

    /// <summary>GPU-hours left in the window (never negative).</summary>
    public double GpuHoursLeft => Math.Max(0, Quota.GpuHoursPerWindow - GpuHoursInWindow);

    /// <summary>True when the window's GPU-hours are used up: new GPU jobs wait with
    /// <see cref="Jobs.PendingReason.GpuHoursExhausted"/>.</summary>
    public bool GpuHoursExhausted => GpuSecondsInWindow >= Quota.GpuSecondsPerWindow;
}
