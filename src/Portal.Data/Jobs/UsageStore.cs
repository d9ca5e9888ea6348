using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Core.Quotas;
using Portal.Data.Entities.Jobs;
using Portal.Data.Quotas;

namespace Portal.Data.Jobs;

/// <summary>Accounting reads: GPU-seconds per user per day for the report, and a user's use of each quota limit.</summary>
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

    /// <summary>The usage report as CSV (header <c>day,user,gpu_seconds,gpu_hours</c>), invariant culture.</summary>
    public static string ToCsv(IEnumerable<DailyGpuUsage> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var csv = new StringBuilder("day,user,gpu_seconds,gpu_hours\n");
        foreach (var row in rows)
        {
            csv.Append(row.Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)).Append(',')
                .Append(CsvField(row.Owner)).Append(',')
                .Append(Math.Round(row.GpuSeconds).ToString("0", CultureInfo.InvariantCulture)).Append(',')
                .Append((row.GpuSeconds / 3600).ToString("0.###", CultureInfo.InvariantCulture)).Append('\n');
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
