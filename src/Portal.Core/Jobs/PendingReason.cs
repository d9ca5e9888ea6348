namespace Portal.Core.Jobs;

/// <summary>Why a queued job is not running yet, like the REASON column of Slurm's squeue.</summary>
public enum PendingReason
{
    /// <summary>Not pending (the job is starting or no plan has looked at it yet).</summary>
    None,

    /// <summary>It is next in line but not enough GPUs are free; GPUs are reserved for it as they free up.</summary>
    Resources,

    /// <summary>Jobs ahead of it in the order come first (it fits, or will, but a reservation or the queue order holds it).</summary>
    Priority,

    /// <summary>Its owner already holds as many GPUs as their quota allows.</summary>
    UserGpuLimit,

    /// <summary>Its owner already runs as many jobs as their quota allows.</summary>
    UserJobLimit,

    /// <summary>Its owner used up their GPU-hours for the rolling window; it starts as old usage leaves the window.</summary>
    GpuHoursExhausted,

    /// <summary>It needs GPUs an administrator drained (a specific drained GPU, or more GPUs than are undrained).</summary>
    GpuDrained,

    /// <summary>The cluster's scheduler (Slurm) holds it for a reason with no counterpart here; its own word says why.</summary>
    Cluster,

    /// <summary>The GPUs it could use are booked for someone else over the time it would run (see GPU bookings).</summary>
    Booked,
}
