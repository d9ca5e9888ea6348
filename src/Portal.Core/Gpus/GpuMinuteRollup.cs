namespace Portal.Core.Gpus;

/// <summary>
/// Folds the sampler's snapshots into one <see cref="GpuMinute"/> per GPU per minute. A minute is handed out when a
/// reading of a later minute arrives (or on <see cref="Flush"/>), so a minute in which the sampler stopped early is
/// closed with the readings it got: fewer samples, never invented ones. Not thread-safe: feed it from one place
/// (the sampler's own task).
/// </summary>
/// <param name="interval">The sampler's interval, which sets how many readings a minute should hold.</param>
/// <param name="period">The length of one row: a minute on a real box; the tests shorten it to seconds so that a whole
/// idle window passes while a real job runs.</param>
public sealed class GpuMinuteRollup(TimeSpan interval, TimeSpan period)
{
    private readonly int _expected = ExpectedPerPeriod(interval, period);
    private readonly TimeSpan _period = period > TimeSpan.Zero ? period : throw new ArgumentOutOfRangeException(nameof(period), "A rollup period must be positive.");
    private readonly Dictionary<string, Accumulator> _open = new(StringComparer.Ordinal);

    /// <summary>A rollup of one row per wall-clock minute.</summary>
    public GpuMinuteRollup(TimeSpan interval)
        : this(interval, TimeSpan.FromMinutes(1))
    {
    }

    /// <summary>The length of one row.</summary>
    public TimeSpan Period => _period;

    /// <summary>How many readings one row holds at the sampler's interval.</summary>
    public int ExpectedPerRow => _expected;

    /// <summary>How many readings one minute holds at <paramref name="interval"/> (at least 1).</summary>
    public static int ExpectedPerMinute(TimeSpan interval) => ExpectedPerPeriod(interval, TimeSpan.FromMinutes(1));

    /// <summary>How many readings one <paramref name="period"/> holds at <paramref name="interval"/> (at least 1).</summary>
    public static int ExpectedPerPeriod(TimeSpan interval, TimeSpan period) =>
        interval <= TimeSpan.Zero ? 1 : Math.Max(1, (int)Math.Round(period / interval));

    /// <summary>The start of the minute <paramref name="at"/> falls in, in UTC.</summary>
    public static DateTimeOffset MinuteOf(DateTimeOffset at) => PeriodOf(at, TimeSpan.FromMinutes(1));

    /// <summary>The start of the <paramref name="period"/> <paramref name="at"/> falls in, in UTC (periods are counted
    /// from the epoch, so a minute period starts on whole minutes).</summary>
    public static DateTimeOffset PeriodOf(DateTimeOffset at, TimeSpan period)
    {
        var ticks = at.UtcTicks;
        var length = Math.Max(1, period.Ticks);
        return new DateTimeOffset(ticks - (ticks % length), TimeSpan.Zero);
    }

    /// <summary>Adds the samples of one snapshot.</summary>
    /// <returns>The minutes this snapshot closed (empty most of the time).</returns>
    public IReadOnlyList<GpuMinute> Add(GpuSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        List<GpuMinute>? closed = null;
        foreach (var sample in snapshot.Samples)
        {
            var minute = PeriodOf(sample.SampledAt, _period);
            if (_open.TryGetValue(sample.Uuid, out var open) && open.Minute != minute)
            {
                if (minute < open.Minute)
                {
                    // A clock stepped back: keep the open minute and drop the reading rather than reopen the past.
                    continue;
                }

                (closed ??= []).Add(open.ToMinute(sample.Uuid, _expected));
                open = null;
            }

            if (open is null)
            {
                open = new Accumulator(minute);
                _open[sample.Uuid] = open;
            }

            open.Add(sample);
        }

        if (CloseCompleted(snapshot.TakenAt) is { Count: > 0 } late)
        {
            (closed ??= []).AddRange(late);
        }

        return closed ?? (IReadOnlyList<GpuMinute>)[];
    }

    /// <summary>
    /// Closes the open minutes that ended at or before <paramref name="now"/>: called with each reading's time and
    /// on a timer, so a minute lands without waiting for the next reading of its GPU (which may never come: the GPU
    /// fell off the bus, nvidia-smi hangs).
    /// </summary>
    public IReadOnlyList<GpuMinute> CloseCompleted(DateTimeOffset now)
    {
        var current = PeriodOf(now, _period);
        List<GpuMinute>? closed = null;
        foreach (var (uuid, open) in _open)
        {
            if (open.Minute < current)
            {
                (closed ??= []).Add(open.ToMinute(uuid, _expected));
            }
        }

        foreach (var minute in closed ?? [])
        {
            _open.Remove(minute.GpuUuid);
        }

        return closed ?? (IReadOnlyList<GpuMinute>)[];
    }

    /// <summary>Closes every open minute (at shutdown), with the readings it has.</summary>
    public IReadOnlyList<GpuMinute> Flush()
    {
        var closed = _open.Select(pair => pair.Value.ToMinute(pair.Key, _expected)).ToList();
        _open.Clear();
        return closed;
    }

    private sealed class Accumulator(DateTimeOffset minute)
    {
        private int _samples;
        private int _utilSamples;
        private double _utilSum;
        private double _utilMax = double.NegativeInfinity;
        private long? _memoryMax;

        public DateTimeOffset Minute { get; } = minute;

        public void Add(GpuSample sample)
        {
            _samples++;
            if (sample.UtilizationPercent is { } util)
            {
                _utilSamples++;
                _utilSum += util;
                _utilMax = Math.Max(_utilMax, util);
            }

            if (sample.MemoryUsedMiB is { } used)
            {
                _memoryMax = Math.Max(_memoryMax ?? long.MinValue, used);
            }
        }

        public GpuMinute ToMinute(string uuid, int expected) => new(
            uuid,
            Minute,
            _samples,
            expected,
            _utilSamples,
            _utilSamples == 0 ? null : _utilSum / _utilSamples,
            _utilSamples == 0 ? null : _utilMax,
            _memoryMax);
    }
}
