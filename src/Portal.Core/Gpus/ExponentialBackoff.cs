namespace Portal.Core.Gpus;

/// <summary>Delays between restarts of a failing helper process: doubling from <see cref="Initial"/> up to
/// <see cref="Maximum"/>, so a broken driver is not hammered and a transient failure recovers quickly.</summary>
/// <param name="Initial">The delay after the first failure.</param>
/// <param name="Maximum">The longest delay.</param>
public sealed record ExponentialBackoff(TimeSpan Initial, TimeSpan Maximum)
{
    /// <summary>The delay before retry number <paramref name="consecutiveFailures"/> (1 = first failure).</summary>
    public TimeSpan DelayAfter(int consecutiveFailures)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(consecutiveFailures, 1);
        // Cap the exponent before shifting so the arithmetic cannot overflow however long the outage lasts.
        var exponent = Math.Min(consecutiveFailures - 1, 30);
        var ticks = Initial.Ticks * (double)(1L << exponent);
        return ticks >= Maximum.Ticks ? Maximum : TimeSpan.FromTicks((long)ticks);
    }
}
