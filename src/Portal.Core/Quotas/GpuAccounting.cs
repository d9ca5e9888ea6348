namespace Portal.Core.Quotas;

/// <summary>Sums <see cref="GpuUsageInterval"/>s for fair share, quota checks and the accounting report.</summary>
public static class GpuAccounting
{
    /// <summary>GPU-seconds per owner inside [<paramref name="from"/>, <paramref name="to"/>), each interval clipped to the window.
    /// Owners without usage are absent.</summary>
    public static Dictionary<string, double> GpuSecondsByOwner(
        IEnumerable<GpuUsageInterval> intervals, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(intervals);
        var totals = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var interval in intervals)
        {
            var seconds = interval.GpuSecondsWithin(from, to);
            if (seconds > 0)
            {
                totals[interval.Owner] = totals.GetValueOrDefault(interval.Owner) + seconds;
            }
        }

        return totals;
    }

    /// <summary>GPU-seconds of one owner in the rolling window that ends at <paramref name="now"/>.</summary>
    public static double GpuSecondsInWindow(
        IEnumerable<GpuUsageInterval> intervals, string owner, TimeSpan window, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(intervals);
        return intervals.Where(i => i.Owner == owner).Sum(i => i.GpuSecondsWithin(now - window, now));
    }

    /// <summary>
    /// GPU-seconds per owner per UTC day inside [<paramref name="from"/>, <paramref name="to"/>): a job that runs
    /// across midnight counts on both days, each for the part it ran that day. Ordered by day, then owner.
    /// </summary>
    public static IReadOnlyList<DailyGpuUsage> PerOwnerPerDay(
        IEnumerable<GpuUsageInterval> intervals, DateTimeOffset from, DateTimeOffset to)
    {
        ArgumentNullException.ThrowIfNull(intervals);
        var totals = new Dictionary<(string Owner, DateOnly Day), double>();
        foreach (var interval in intervals)
        {
            var start = interval.Start > from ? interval.Start : from;
            var end = interval.End is { } e && e < to ? e : to;
            var dayStart = new DateTimeOffset(start.UtcDateTime.Date, TimeSpan.Zero);
            while (dayStart < end)
            {
                var nextDay = dayStart.AddDays(1);
                var seconds = interval.GpuSecondsWithin(dayStart, nextDay < end ? nextDay : end);
                if (seconds > 0)
                {
                    var key = (interval.Owner, DateOnly.FromDateTime(dayStart.UtcDateTime));
                    totals[key] = totals.GetValueOrDefault(key) + seconds;
                }

                dayStart = nextDay;
            }
        }

        return totals
            .OrderBy(t => t.Key.Day)
            .ThenBy(t => t.Key.Owner, StringComparer.Ordinal)
            .Select(t => new DailyGpuUsage(t.Key.Owner, t.Key.Day, t.Value))
            .ToList();
    }
}
