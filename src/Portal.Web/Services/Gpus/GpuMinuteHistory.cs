using Portal.Core.Gpus;

namespace Portal.Web.Services.Gpus;

/// <summary>
/// The closed rollup rows of every GPU (<see cref="GpuMinuteRollup"/>), newest last, kept in memory for
/// <see cref="GpuMonitorOptions.RollupRetention"/> (a week of minutes is 10,080 rows, under a megabyte per GPU). Not
/// persisted on purpose: after a restart a job's window has too few readings until it fills again, and the detector
/// never counts missing readings as idle, so forgetting only delays a reclaim, never causes one. Written by the
/// sampler's task, read by the reclaimer and the job page: a lock guards it.
/// </summary>
public sealed class GpuMinuteHistory
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Queue<GpuMinute>> _rows = new(StringComparer.Ordinal);
    private readonly int _capacity;

    public GpuMinuteHistory(GpuMonitorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _capacity = options.RollupCapacity;
        Period = options.RollupPeriod;
        ExpectedPerRow = GpuMinuteRollup.ExpectedPerPeriod(options.Interval, options.RollupPeriod);
    }

    /// <summary>The length of one row.</summary>
    public TimeSpan Period { get; }

    /// <summary>The readings one row holds when the sampler keeps its interval.</summary>
    public int ExpectedPerRow { get; }

    /// <summary>Keeps closed rows, dropping the oldest beyond the retention.</summary>
    public void Add(IReadOnlyList<GpuMinute> closed)
    {
        ArgumentNullException.ThrowIfNull(closed);
        if (closed.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            foreach (var row in closed)
            {
                if (!_rows.TryGetValue(row.GpuUuid, out var queue))
                {
                    queue = new Queue<GpuMinute>();
                    _rows[row.GpuUuid] = queue;
                }

                queue.Enqueue(row);
                while (queue.Count > _capacity)
                {
                    queue.Dequeue();
                }
            }
        }
    }

    /// <summary>The rows of <paramref name="gpuUuids"/> that start at or after <paramref name="since"/>, oldest first.</summary>
    public IReadOnlyList<GpuMinute> Of(IEnumerable<string> gpuUuids, DateTimeOffset since)
    {
        ArgumentNullException.ThrowIfNull(gpuUuids);
        var found = new List<GpuMinute>();
        lock (_gate)
        {
            foreach (var uuid in gpuUuids.Distinct(StringComparer.Ordinal))
            {
                if (_rows.TryGetValue(uuid, out var queue))
                {
                    found.AddRange(queue.Where(r => r.Minute >= since));
                }
            }
        }

        found.Sort((a, b) => a.Minute != b.Minute ? a.Minute.CompareTo(b.Minute) : string.CompareOrdinal(a.GpuUuid, b.GpuUuid));
        return found;
    }
}
