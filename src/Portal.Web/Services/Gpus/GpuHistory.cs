using Portal.Core.Gpus;

namespace Portal.Web.Services.Gpus;

/// <summary>One point of a GPU's history: the average of the samples in one <see cref="GpuMonitorOptions.HistoryResolution"/>.
/// Null where the driver reported nothing in that span.</summary>
public sealed record GpuHistoryPoint(
    DateTimeOffset At, double? UtilizationPercent, double? MemoryPercent, double? TemperatureCelsius, double? PowerWatts);

/// <summary>
/// A bounded history of one GPU: a ring of averaged points plus the bucket being filled. Memory is fixed by the
/// capacity whatever the sampling rate, and the published <see cref="Points"/> array is shared by every circuit,
/// rebuilt only when a bucket closes. Not thread-safe: <see cref="GpuMonitor"/> calls it under its lock.
/// </summary>
public sealed class GpuHistoryBuffer(int capacity, TimeSpan resolution)
{
    private readonly GpuHistoryPoint[] _ring = new GpuHistoryPoint[Math.Max(1, capacity)];
    private int _start;
    private int _count;
    private long _bucket = long.MinValue;
    private Accumulator _util;
    private Accumulator _memory;
    private Accumulator _temperature;
    private Accumulator _power;

    /// <summary>The closed points, oldest first; a new array each time a bucket closes.</summary>
    public IReadOnlyList<GpuHistoryPoint> Points { get; private set; } = [];

    /// <summary>Adds a sample.</summary>
    /// <returns>True when a bucket closed, so <see cref="Points"/> changed.</returns>
    public bool Add(GpuSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var bucket = sample.SampledAt.UtcTicks / resolution.Ticks;
        var closed = false;
        if (bucket != _bucket)
        {
            if (_bucket != long.MinValue)
            {
                Append(new GpuHistoryPoint(
                    new DateTimeOffset(_bucket * resolution.Ticks, TimeSpan.Zero),
                    _util.Average, _memory.Average, _temperature.Average, _power.Average));
                closed = true;
            }

            _bucket = bucket;
            _util = _memory = _temperature = _power = default;
        }

        _util.Add(sample.UtilizationPercent);
        _memory.Add(sample.MemoryUsedMiB is { } used && sample.MemoryTotalMiB is { } total && total > 0
            ? 100.0 * used / total
            : null);
        _temperature.Add(sample.TemperatureCelsius);
        _power.Add(sample.PowerDrawWatts);
        return closed;
    }

    private void Append(GpuHistoryPoint point)
    {
        if (_count < _ring.Length)
        {
            _ring[(_start + _count) % _ring.Length] = point;
            _count++;
        }
        else
        {
            _ring[_start] = point;
            _start = (_start + 1) % _ring.Length;
        }

        var points = new GpuHistoryPoint[_count];
        for (var i = 0; i < _count; i++)
        {
            points[i] = _ring[(_start + i) % _ring.Length];
        }

        Points = points;
    }

    private struct Accumulator
    {
        private double _sum;
        private int _n;

        public readonly double? Average => _n == 0 ? null : _sum / _n;

        public void Add(double? value)
        {
            if (value is { } v)
            {
                _sum += v;
                _n++;
            }
        }
    }
}
