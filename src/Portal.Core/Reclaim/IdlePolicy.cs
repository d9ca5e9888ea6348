namespace Portal.Core.Reclaim;

/// <summary>What happens to a job once it has stayed idle through its warning's grace period.</summary>
public enum ReclaimAction
{
    /// <summary>Warn the owner (banner, notification) and do nothing else.</summary>
    WarnOnly,

    /// <summary>Stop the job; its GPUs go back to the queue.</summary>
    Stop,

    /// <summary>Stop the job and queue it again with its original submission time, when it declared itself
    /// restartable; a job that did not is stopped.</summary>
    StopAndRequeue,
}

/// <summary>
/// When a job counts as idle and what is done about it. Set per quota group (and as the box's default) by
/// administrators. A job is idle when every GPU it holds stays under <see cref="ThresholdPercent"/> for the whole
/// <see cref="Window"/>, with at least <see cref="IdlePolicy.MinimumCoverage"/> of the samples present.
/// </summary>
/// <param name="ThresholdPercent">Utilisation (0-100) every reading must stay under.</param>
/// <param name="Window">How long the GPUs must stay under it.</param>
/// <param name="Grace">How long after the warning the action waits; any busy reading in between cancels it.</param>
/// <param name="Action">What happens after the grace period.</param>
/// <param name="KeepFor">How long an owner's "keep" reason pauses reclaim (once per job).</param>
public sealed record IdlePolicy(double ThresholdPercent, TimeSpan Window, TimeSpan Grace, ReclaimAction Action, TimeSpan KeepFor)
{
    /// <summary>The share of samples a window needs before it can count as idle: a sampling gap never does.</summary>
    public const double MinimumCoverage = 0.8;

    /// <summary>The shortest window: shorter ones fire on a data-loading pause or never gather enough samples.</summary>
    public static readonly TimeSpan ShortestWindow = TimeSpan.FromMinutes(5);

    /// <summary>The longest window and grace (the minute history is kept at least this long).</summary>
    public static readonly TimeSpan LongestWindow = TimeSpan.FromDays(7);

    /// <summary>The longest a keep reason may pause reclaim.</summary>
    public static readonly TimeSpan LongestKeep = TimeSpan.FromDays(7);

    /// <summary>Every problem with the settings, one sentence each (empty when valid).</summary>
    /// <param name="period">The rollup's row length (a minute on a real box): the window must be whole rows, and at
    /// least five of them (<see cref="ShortestWindow"/> at one-minute rows).</param>
    public IReadOnlyList<string> Problems(TimeSpan? period = null)
    {
        var row = period ?? TimeSpan.FromMinutes(1);
        var shortest = row * (ShortestWindow / TimeSpan.FromMinutes(1));
        var problems = new List<string>();
        if (double.IsNaN(ThresholdPercent) || ThresholdPercent <= 0 || ThresholdPercent > 100)
        {
            problems.Add("The idle threshold must be above 0 % and at most 100 %.");
        }

        if (Window < shortest || Window > LongestWindow)
        {
            problems.Add(row == TimeSpan.FromMinutes(1)
                ? "The idle window must be between 5 minutes and 7 days."
                : $"The idle window must be between {shortest} and 7 days.");
        }
        else if (Window.Ticks % Math.Max(1, row.Ticks) != 0)
        {
            problems.Add(row == TimeSpan.FromMinutes(1) ? "The idle window must be whole minutes." : $"The idle window must be a whole number of {row} rows.");
        }

        if (Grace < TimeSpan.Zero || Grace > LongestWindow)
        {
            problems.Add("The grace period must be between 0 and 7 days.");
        }

        if (KeepFor <= TimeSpan.Zero || KeepFor > LongestKeep)
        {
            problems.Add("A keep must last more than 0 and at most 7 days.");
        }

        if (!Enum.IsDefined(Action))
        {
            problems.Add("Unknown idle action.");
        }

        return problems;
    }

    /// <summary>
    /// The policy for a user in <paramref name="groupPolicies"/> (their groups' policies) with the box's
    /// <paramref name="defaultPolicy"/>: any group policy replaces the default, and between several groups each
    /// setting takes its most lenient value (membership grants, never takes away, as with quotas).
    /// </summary>
    /// <returns>The policy, or null when neither the default nor any group sets one (no idle reclaim).</returns>
    public static IdlePolicy? Resolve(IdlePolicy? defaultPolicy, IEnumerable<IdlePolicy> groupPolicies)
    {
        ArgumentNullException.ThrowIfNull(groupPolicies);
        IdlePolicy? result = null;
        foreach (var policy in groupPolicies)
        {
            result = result is null ? policy : new IdlePolicy(
                Math.Min(result.ThresholdPercent, policy.ThresholdPercent),
                Max(result.Window, policy.Window),
                Max(result.Grace, policy.Grace),
                Leniency(policy.Action) > Leniency(result.Action) ? policy.Action : result.Action,
                Max(result.KeepFor, policy.KeepFor));
        }

        return result ?? defaultPolicy;
    }

    // Warning only spares the job; a requeue gives it back its place; a plain stop is the harshest.
    private static int Leniency(ReclaimAction action) => action switch
    {
        ReclaimAction.WarnOnly => 2,
        ReclaimAction.StopAndRequeue => 1,
        _ => 0,
    };

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
