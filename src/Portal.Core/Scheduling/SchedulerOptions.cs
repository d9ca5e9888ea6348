namespace Portal.Core.Scheduling;

/// <summary>The knobs of the ordering. The defaults suit a small team's box.</summary>
public sealed class SchedulerOptions
{
    /// <summary>Fair share compares usage in steps of this many GPU-hours, so that users with nearly equal usage
    /// tie and priority and age decide between them.</summary>
    public double FairShareStepGpuHours { get; set; } = 1;

    /// <summary>Each full step of waiting adds one point of priority (aging).</summary>
    public TimeSpan AgingStep { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The most priority aging can add.</summary>
    public int MaxAgingBoost { get; set; } = 24;

    /// <summary>A job that has waited this long goes ahead of fair share, oldest first, so a heavy user's job is
    /// not overtaken forever by light users' new jobs.</summary>
    public TimeSpan StarvationAge { get; set; } = TimeSpan.FromDays(2);
}
