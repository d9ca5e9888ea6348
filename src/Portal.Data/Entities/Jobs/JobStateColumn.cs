namespace Portal.Data.Entities.Jobs;

/// <summary>
/// <see cref="Portal.Core.Jobs.JobState"/> as stored. A separate enum, so that renaming a domain member cannot
/// silently change what the rows mean: the mapper converts by name and fails loudly on a mismatch.
/// </summary>
public enum JobStateColumn
{
    Queued,
    Starting,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    TimedOut,
    Lost,
}

/// <summary><see cref="Portal.Core.Jobs.PendingReason"/> as stored.</summary>
public enum PendingReasonColumn
{
    None,
    Resources,
    Priority,
    UserGpuLimit,
    UserJobLimit,
    GpuHoursExhausted,
    GpuDrained,
    Cluster,
    Booked,
}
