namespace Portal.Core.Quotas;

/// <summary>A span of time during which one job held GPUs: the unit of accounting.</summary>
/// <param name="Owner">The job's owner (Linux user name).</param>
/// <param name="JobId">The job.</param>
/// <param name="GpuCount">How many GPUs it held.</param>
/// <param name="Start">When the GPUs were assigned.</param>
/// <param name="End">When they were released; null while the job still holds them.</param>
public sealed record GpuUsageInterval(string Owner, long JobId, int GpuCount, DateTimeOffset Start, DateTimeOffset? End)
{
    /// <summary>GPU-seconds inside [<paramref name="from"/>, <paramref name="to"/>); an open interval counts up to <paramref name="to"/>.</summary>
    public double GpuSecondsWithin(DateTimeOffset from, DateTimeOffset to)
    {
        var start = Start > from ? Start : from;
        var end = End is { } e && e < to ? e : to;
        return end > start ? (end - start).TotalSeconds * GpuCount : 0;
    }
}

/// <summary>GPU-seconds one user used on one UTC day.</summary>
public sealed record DailyGpuUsage(string Owner, DateOnly Day, double GpuSeconds);
