namespace Portal.Core.Reclaim;

/// <summary>What the minute history says about a job's GPUs.</summary>
public enum IdleVerdictKind
{
    /// <summary>The job holds no GPU: idle reclaim does not apply.</summary>
    NotApplicable,

    /// <summary>The job has not held its GPUs for a whole window yet (or a keep just ended the pause).</summary>
    TooEarly,

    /// <summary>A GPU read at or above the threshold in the window.</summary>
    Busy,

    /// <summary>A GPU reports no utilisation at all (MIG-enabled GPUs do not): nothing can be concluded.</summary>
    Unmeasurable,

    /// <summary>Under the threshold, but with too few samples: a gap never counts as idle.</summary>
    NotEnoughData,

    /// <summary>Every GPU stayed under the threshold for the whole window with enough samples.</summary>
    Idle,
}

/// <summary>The verdict on one job at one time.</summary>
/// <param name="Kind">What was concluded.</param>
/// <param name="Coverage">The lowest share of expected samples present on any of the job's GPUs (0-1).</param>
/// <param name="HighestUtilization">The highest utilisation read on the job's GPUs in the window, if any.</param>
/// <param name="Detail">One sentence for people: why this verdict.</param>
public sealed record IdleVerdict(IdleVerdictKind Kind, double Coverage, double? HighestUtilization, string Detail)
{
    /// <summary>True only for <see cref="IdleVerdictKind.Idle"/>: every other verdict keeps the job.</summary>
    public bool IsIdle => Kind == IdleVerdictKind.Idle;
}
