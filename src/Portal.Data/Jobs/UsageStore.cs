using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Quotas;
using Portal.Data.Entities.Jobs;
using Portal.Data.Quotas;

namespace Portal.Data.Jobs;

/// <summary>What the jobs of one owner that ended on one UTC day used, as their cgroups counted it.</summary>
/// <param name="Owner">The Linux account.</param>
/// <param name="Day">The UTC day the jobs ended.</param>
/// <param name="CpuSeconds">Their CPU seconds, summed.</param>
/// <param name="PeakMemoryBytes">The highest peak memory of one of them; null when none has one.</param>
/// <param name="OomKills">Their processes the OOM killer ended, summed.</param>
public sealed record DailyJobUsage(string Owner, DateOnly Day, double CpuSeconds, long? PeakMemoryBytes, long OomKills);

/// <summary>Accounting reads: GPU-seconds per user per day for the report, what ended jobs used (from their cgroups), and
/// a user's use of each quota limit.</summary>
public sealed class UsageStore(IDbContextFactory<PortalDbContext> contextFactory, TimeProvider timeProvider)
{
    /// <summary>
    /// GPU-seconds per owner per UTC day inside [<paramref name="from"/>, <paramref name="to"/>), ordered by day then
    /// owner. Jobs still holding GPUs count up to now; a job across midnight counts on both days.
    /// </summary>
    public async Task<IReadOnlyList<DailyGpuUsage>> DailyGpuUsageAsync(
        DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        var now = timeProvider.GetUtcNow();
        var end = to < now ? to : now;
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var intervals = await db.Jobs.AsNoTracking()
            .Where(j => j.GpuCount > 0 && j.StartedAt != null && j.StartedAt < end && (j.FinishedAt == null || j.FinishedAt > from))
            .Select(j => new GpuUsageInterval(j.OwnerLinuxUserName, j.Id, j.GpuCount, j.StartedAt!.Value, j.FinishedAt))
            .ToListAsync(cancellationToken);
        return GpuAccounting.PerOwnerPerDay(intervals, from, end);
    }

    /// <summary>
    /// What the jobs that ended inside [<paramref name="from"/>, <paramref name="to"/>) used, as their cgroups counted
    /// it, per owner per UTC day of their end: CPU seconds and OOM kills summed, the highest peak memory. Jobs without
    /// these figures (never started, or ended before the portal kept them) are left out.
    /// </summary>
    public async Task<IReadOnlyList<DailyJobUsage>> DailyJobUsageAsync(
        DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var ended = await db.Jobs.AsNoTracking()
            .Where(j => j.CpuSeconds != null && j.FinishedAt >= from && j.FinishedAt < to)
            .Select(j => new { Owner = j.OwnerLinuxUserName, FinishedAt = j.FinishedAt!.Value, Cpu = j.CpuSeconds!.Value, j.PeakMemoryBytes, j.OomKills })
            .ToListAsync(cancellationToken);
        return [.. ended
            .GroupBy(j => (Day: DateOnly.FromDateTime(j.FinishedAt.UtcDateTime), j.Owner))
            .Select(g => new DailyJobUsage(g.Key.Owner, g.Key.Day, g.Sum(j => j.Cpu), g.Max(j => j.PeakMemoryBytes), g.Sum(j => j.OomKills ?? 0)))
            .OrderBy(r => r.Day).ThenBy(r => r.Owner, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The usage report as CSV (header <c>day,user,gpu_seconds,gpu_hours,cpu_seconds,peak_memory_mib,oom_kills</c>),
    /// invariant culture, one row per owner and UTC day with either kind of use. The GPU columns count every job that
    /// held GPUs that day; the cgroup columns the jobs that ended that day (<c>peak_memory_mib</c> empty when none of
    /// them has a peak).
    /// </summary>
    public static string ToCsv(IEnumerable<DailyGpuUsage> rows, IEnumerable<DailyJobUsage>? jobs = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var gpu = rows.ToDictionary(r => (r.Day, r.Owner));
        var used = (jobs ?? []).ToDictionary(r => (r.Day, r.Owner));
        var csv = new StringBuilder("day,user,gpu_seconds,gpu_hours,cpu_seconds,peak_memory_mib,oom_kills\n");
        foreach (var (day, owner) in gpu.Keys.Union(used.Keys).OrderBy(k => k.Day).ThenBy(k => k.Owner, StringComparer.Ordinal))
        {
            var gpuSeconds = gpu.TryGetValue((day, owner), out var g) ? g.GpuSeconds : 0;
            var job = used.GetValueOrDefault((day, owner));
            csv.Append(day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append(',')
                .Append(CsvField(owner)).Append(',')
                .Append(Math.Round(gpuSeconds).ToString("0", CultureInfo.InvariantCulture)).Append(',')
                .Append((gpuSeconds / 3600).ToString("0.###", CultureInfo.InvariantCulture)).Append(',')
                .Append(Math.Round(job?.CpuSeconds ?? 0).ToString("0", CultureInfo.InvariantCulture)).Append(',')
                .Append(job?.PeakMemoryBytes is { } peak ? (peak / 1048576.0).ToString("0.#", CultureInfo.InvariantCulture) : "").Append(',')
                .Append((job?.OomKills ?? 0).ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        return csv.ToString();
    }

    /// <summary>A user's limits next to their use of each now; null when the user does not exist or has no Linux account.</summary>
    public async Task<QuotaUsage?> QuotaUsageAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        if (!await db.Users.AnyAsync(u => u.Id == userId && u.LinuxUserName != null, cancellationToken))
        {
            return null;
        }

        var quota = (await QuotaBook.LoadAsync(db, cancellationToken)).Resolve(userId);
        var now = timeProvider.GetUtcNow();
        var since = quota.WindowStart(now);
        var active = new[] { JobStateColumn.Queued, JobStateColumn.Starting, JobStateColumn.Running };
        var relevant = db.Jobs.AsNoTracking()
            .Where(j => j.OwnerId == userId && (active.Contains(j.State) || (j.StartedAt != null && j.FinishedAt > since)));
        var records = await relevant.ToListAsync(cancellationToken);
        var ids = relevant.Select(j => j.Id);
        var history = (await db.JobStateChanges.AsNoTracking().Where(c => ids.Contains(c.JobId)).ToListAsync(cancellationToken)).ToLookup(c => c.JobId);
        var allocations = (await db.GpuAllocations.AsNoTracking().Where(a => ids.Contains(a.JobId)).ToListAsync(cancellationToken)).ToLookup(a => a.JobId);
        var jobs = records.Select(r => JobMapper.ToDomain(r, history[r.Id], allocations[r.Id])).ToList();
        return QuotaUsage.Compute(quota, jobs, now);
    }

    // Linux user names cannot hold these characters, but the report should stay safe to open in a spreadsheet if
    // that ever changes: quote separators and neutralise leading formula characters.
    private static string CsvField(string value)
    {
        var safe = value.Length > 0 && "=+-@".Contains(value[0], StringComparison.Ordinal) ? "'" + value : value;
        return safe.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + safe.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : safe;
    }
}
