using System.Globalization;
using Portal.Core.Gpus;

namespace Portal.Core.Reclaim;

/// <summary>
/// Judges a job's GPUs from their minute history. Pure: the same minutes at the same time give the same verdict.
/// The window is the <see cref="IdlePolicy.Window"/> of whole minutes before the current minute (the current one is
/// still filling). A job is idle only when EVERY GPU it holds stays under the threshold in every reading and has at
/// least <see cref="IdlePolicy.MinimumCoverage"/> of the readings the sampler's interval promises; a GPU that
/// reports no utilisation at all (MIG) makes the job unmeasurable, never idle.
/// </summary>
public static class IdleDetector
{
    /// <summary>The verdict on a job holding <paramref name="gpuUuids"/> since <paramref name="watchedSince"/>.</summary>
    /// <param name="policy">The threshold and window.</param>
    /// <param name="gpuUuids">The GPUs the job holds.</param>
    /// <param name="minutes">The minute rows of those GPUs (others and those outside the window are ignored).</param>
    /// <param name="expectedPerMinute">Readings per minute at the sampler's interval, for minutes with no row at all.</param>
    /// <param name="watchedSince">When the job got its GPUs: minutes before it belong to someone else.</param>
    /// <param name="now">The time of the evaluation.</param>
    /// <param name="period">The length of one row (<see cref="GpuMinuteRollup.Period"/>); a minute when not given.</param>
    public static IdleVerdict Evaluate(
        IdlePolicy policy,
        IReadOnlyCollection<string> gpuUuids,
        IEnumerable<GpuMinute> minutes,
        int expectedPerMinute,
        DateTimeOffset watchedSince,
        DateTimeOffset now,
        TimeSpan? period = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(gpuUuids);
        ArgumentNullException.ThrowIfNull(minutes);
        if (gpuUuids.Count == 0)
        {
            return new IdleVerdict(IdleVerdictKind.NotApplicable, 0, null, "The job holds no GPU.");
        }

        var rowLength = period ?? TimeSpan.FromMinutes(1);
        var windowEnd = GpuMinuteRollup.PeriodOf(now, rowLength);
        var windowStart = windowEnd - policy.Window;
        if (watchedSince > windowStart)
        {
            return new IdleVerdict(IdleVerdictKind.TooEarly, 0, null, Invariant(
                $"Watched since {watchedSince:yyyy-MM-dd HH:mm} UTC; a verdict needs {Describe(policy.Window)} of readings."));
        }

        var windowMinutes = (int)Math.Max(1, policy.Window.Ticks / Math.Max(1, rowLength.Ticks));
        var perGpu = gpuUuids.ToDictionary(u => u, _ => new GpuTally(), StringComparer.Ordinal);
        foreach (var minute in minutes)
        {
            if (minute.Minute >= windowStart && minute.Minute < windowEnd && perGpu.TryGetValue(minute.GpuUuid, out var tally))
            {
                tally.Add(minute);
            }
        }

        double? highest = null;
        var lowestCoverage = 1.0;
        string? unmeasurable = null;
        foreach (var (uuid, tally) in perGpu)
        {
            if (tally.Max is { } max)
            {
                highest = Math.Max(highest ?? double.MinValue, max);
            }

            var expected = (double)windowMinutes * Math.Max(1, tally.ExpectedPerMinute ?? expectedPerMinute);
            lowestCoverage = Math.Min(lowestCoverage, Math.Min(1.0, tally.UtilizationSamples / expected));
            if (tally.Samples > 0 && tally.UtilizationSamples == 0)
            {
                unmeasurable ??= uuid;
            }
        }

        if (highest is { } h && h >= policy.ThresholdPercent)
        {
            return new IdleVerdict(IdleVerdictKind.Busy, lowestCoverage, highest, Invariant(
                $"A GPU read {h:0.#} % in the last {Describe(policy.Window)} (threshold {policy.ThresholdPercent:0.#} %)."));
        }

        if (unmeasurable is not null)
        {
            return new IdleVerdict(IdleVerdictKind.Unmeasurable, lowestCoverage, highest,
                $"{unmeasurable} reports no utilisation (MIG-enabled GPUs do not), so idleness cannot be measured and the job is never reclaimed for it.");
        }

        if (lowestCoverage < IdlePolicy.MinimumCoverage)
        {
            return new IdleVerdict(IdleVerdictKind.NotEnoughData, lowestCoverage, highest, Invariant(
                $"Only {lowestCoverage:P0} of the readings of the last {Describe(policy.Window)} are present (at least {IdlePolicy.MinimumCoverage:P0} needed): a gap never counts as idle."));
        }

        return new IdleVerdict(IdleVerdictKind.Idle, lowestCoverage, highest, Invariant(
            $"Every GPU stayed under {policy.ThresholdPercent:0.#} % for {Describe(policy.Window)} (highest {highest ?? 0:0.#} %, {lowestCoverage:P0} of readings present)."));
    }

    /// <summary>A duration as people say it: "90 min", "2 h", "1 d 6 h".</summary>
    public static string Describe(TimeSpan span)
    {
        if (span.TotalMinutes < 120 && span.Ticks % TimeSpan.TicksPerHour != 0)
        {
            return Invariant($"{span.TotalMinutes:0} min");
        }

        if (span.TotalHours < 48)
        {
            return Invariant($"{span.TotalHours:0.#} h");
        }

        return Invariant($"{span.TotalDays:0.#} d");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class GpuTally
    {
        public int Samples { get; private set; }

        public int UtilizationSamples { get; private set; }

        public double? Max { get; private set; }

        public int? ExpectedPerMinute { get; private set; }

        public void Add(GpuMinute minute)
        {
            // More readings than promised (a clock that jittered) never make up for a missing minute.
            Samples += Math.Min(minute.Samples, minute.ExpectedSamples);
            UtilizationSamples += Math.Min(minute.UtilizationSamples, minute.ExpectedSamples);
            ExpectedPerMinute = Math.Max(ExpectedPerMinute ?? 0, minute.ExpectedSamples);
            if (minute.UtilizationMax is { } max)
            {
                Max = Math.Max(Max ?? double.MinValue, max);
            }
        }
    }
}
