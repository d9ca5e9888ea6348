namespace Portal.Core.Reclaim;

/// <summary>Where a job stands in idle reclaim.</summary>
public enum IdlePhase
{
    /// <summary>Nothing pending: the job is watched.</summary>
    Watching,

    /// <summary>The owner was warned; the action follows at <see cref="IdleWatch.ActionDueAt"/> unless a GPU gets busy.</summary>
    Warned,

    /// <summary>The action was taken. (A warn-only policy never gets here: its job stays warned until a GPU is busy.)</summary>
    Reclaimed,
}

/// <summary>What one evaluation asks the job host to do; every step but <see cref="None"/> is audited.</summary>
public enum IdleStep
{
    /// <summary>Nothing changes.</summary>
    None,

    /// <summary>Warn the owner: banner on the job page, notification; the action is due after the grace period.</summary>
    Warn,

    /// <summary>A GPU got busy during the grace period: the warning is withdrawn.</summary>
    ClearWarning,

    /// <summary>The grace period ended with the job still idle: carry out the policy's action now.</summary>
    Act,
}

/// <summary>
/// The reclaim state of one job, kept with the job. Changes go through <see cref="Evaluate"/> and
/// <see cref="Keep"/>, which keep the rules: a warning before any action, the action only once the grace period has
/// passed AND the latest window is still idle with enough samples (missing data holds the action), one keep per job,
/// for a bounded time.
/// </summary>
public sealed record IdleWatch
{
    /// <summary>A job nobody has warned yet.</summary>
    public static IdleWatch New { get; } = new();

    /// <summary>The phase.</summary>
    public IdlePhase Phase { get; init; } = IdlePhase.Watching;

    /// <summary>When the current warning was given.</summary>
    public DateTimeOffset? WarnedAt { get; init; }

    /// <summary>When the action is due, if the job stays idle.</summary>
    public DateTimeOffset? ActionDueAt { get; init; }

    /// <summary>The owner's reason to keep the job, once recorded.</summary>
    public string? KeepReason { get; init; }

    /// <summary>Who recorded the keep.</summary>
    public string? KeptBy { get; init; }

    /// <summary>When the keep was recorded.</summary>
    public DateTimeOffset? KeptAt { get; init; }

    /// <summary>Until when the keep pauses reclaim.</summary>
    public DateTimeOffset? KeptUntil { get; init; }

    /// <summary>Whether reclaim is paused by a keep at <paramref name="now"/>.</summary>
    public bool IsKeptAt(DateTimeOffset now) => KeptUntil is { } until && now < until;

    /// <summary>
    /// One evaluation: the new state and what to do. A keep in force pauses everything. A warned job whose GPUs got
    /// busy is cleared. A warned job past its due time is acted on only when <paramref name="verdict"/> is idle:
    /// too few samples or an unmeasurable GPU hold the action (it never happens on missing data).
    /// </summary>
    public (IdleWatch Next, IdleStep Step) Evaluate(IdleVerdict verdict, IdlePolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        ArgumentNullException.ThrowIfNull(policy);
        if (Phase == IdlePhase.Reclaimed || IsKeptAt(now))
        {
            return (this, IdleStep.None);
        }

        switch (Phase)
        {
            case IdlePhase.Watching when verdict.IsIdle:
                return (this with { Phase = IdlePhase.Warned, WarnedAt = now, ActionDueAt = now + policy.Grace }, IdleStep.Warn);
            case IdlePhase.Warned when verdict.Kind == IdleVerdictKind.Busy:
                return (this with { Phase = IdlePhase.Watching, WarnedAt = null, ActionDueAt = null }, IdleStep.ClearWarning);
            case IdlePhase.Warned when verdict.IsIdle && now >= ActionDueAt && policy.Action != ReclaimAction.WarnOnly:
                return (this with { Phase = IdlePhase.Reclaimed }, IdleStep.Act);
            default:
                return (this, IdleStep.None);
        }
    }

    /// <summary>
    /// Records the owner's reason to keep the job: reclaim pauses for <see cref="IdlePolicy.KeepFor"/> and a pending
    /// warning is withdrawn. Once per job.
    /// </summary>
    /// <exception cref="InvalidOperationException">A keep was already recorded, or the job was already reclaimed.</exception>
    public IdleWatch Keep(string reason, string by, IdlePolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentException.ThrowIfNullOrWhiteSpace(by);
        var trimmed = reason?.Trim() ?? "";
        if (trimmed.Length is 0 or > MaxKeepReasonLength)
        {
            throw new ArgumentException($"Give a reason of 1 to {MaxKeepReasonLength} characters.", nameof(reason));
        }

        if (KeepReason is not null)
        {
            throw new InvalidOperationException("This job was already kept once; a job can be kept only once.");
        }

        if (Phase == IdlePhase.Reclaimed)
        {
            throw new InvalidOperationException("This job was already reclaimed.");
        }

        return this with
        {
            Phase = IdlePhase.Watching,
            WarnedAt = null,
            ActionDueAt = null,
            KeepReason = trimmed,
            KeptBy = by,
            KeptAt = now,
            KeptUntil = now + policy.KeepFor,
        };
    }

    /// <summary>The longest keep reason.</summary>
    public const int MaxKeepReasonLength = 500;
}
