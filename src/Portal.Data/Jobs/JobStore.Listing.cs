using Microsoft.EntityFrameworkCore;
using Portal.Data.Entities.Jobs;

namespace Portal.Data.Jobs;

public sealed partial class JobStore
{
    /// <summary>A page of jobs in the query's order (newest first by default), filtered by state and search text.
    /// Non-administrators always get only their own jobs.</summary>
    public async Task<JobPage> ListAsync(Guid requesterId, bool isAdmin, JobListQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfNegative(query.Skip);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Take, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Take, JobListQuery.MaxTake);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Search?.Length ?? 0, JobListQuery.MaxSearchLength);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var ownerFilter = isAdmin ? query.OwnerId : requesterId;
        var rows = await PageQuery(db, ownerFilter, query, timeProvider.GetUtcNow()).ToListAsync(cancellationToken);

        // An empty page past the end still needs the total alone.
        var total = rows.Count > 0 ? rows[0].Total : query.Skip == 0 ? 0 : await Filtered(db, ownerFilter, query.States, query.Search).CountAsync(cancellationToken);
        return new JobPage(rows.ConvertAll(r => r.Summary), total);
    }

    /// <summary>Counts of everyone's running and queued jobs, for the home page; one statement, one snapshot.</summary>
    public async Task<QueueSummary> QueueSummaryAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var active = db.Jobs.AsNoTracking()
            .Where(j => j.State == JobStateColumn.Queued || j.State == JobStateColumn.Starting || j.State == JobStateColumn.Running);
        var byQueued = await active
            .GroupBy(j => j.State == JobStateColumn.Queued)
            .Select(g => new { Queued = g.Key, Jobs = g.Count(), Gpus = g.Sum(j => j.GpuCount) })
            .ToListAsync(cancellationToken);
        var users = await active.Select(j => j.OwnerId).Distinct().CountAsync(cancellationToken);
        var running = byQueued.SingleOrDefault(g => !g.Queued);
        var queued = byQueued.SingleOrDefault(g => g.Queued);
        return new QueueSummary(running?.Jobs ?? 0, queued?.Jobs ?? 0, users, running?.Gpus ?? 0);
    }

    private static IQueryable<JobRecord> Filtered(
        PortalDbContext db, Guid? ownerFilter, IReadOnlyCollection<Core.Jobs.JobState>? states, string? search)
    {
        var jobs = db.Jobs.AsNoTracking();
        if (ownerFilter is { } ownerId)
        {
            jobs = jobs.Where(j => j.OwnerId == ownerId);
        }

        if (states is { Count: > 0 })
        {
            var columns = states.Select(JobMapper.ToColumn).ToList();
            jobs = jobs.Where(j => columns.Contains(j.State));
        }

        if (search?.Trim() is { Length: > 0 } text)
        {
            // The text is matched literally: LIKE's wildcards and escape in it stand for themselves.
            var pattern = "%" + text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal)
                .Replace("_", @"\_", StringComparison.Ordinal) + "%";
            var id = long.TryParse(text.TrimStart('#'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) ? n : -1;
            jobs = jobs.Where(j => j.Id == id || EF.Functions.ILike(j.Name, pattern, @"\") || EF.Functions.ILike(j.Image, pattern, @"\"));
        }

        return jobs;
    }

    // The page and the total in one statement (one snapshot, so they agree; one round trip).
    private static IQueryable<ListRow> PageQuery(PortalDbContext db, Guid? ownerFilter, JobListQuery query, DateTimeOffset now)
    {
        var all = Filtered(db, ownerFilter, query.States, query.Search);
        return Ordered(all, query.Sort, query.Ascending, now).Skip(query.Skip).Take(query.Take)
            .Select(r => new ListRow
            {
                // Only the list's columns: no command, environment or mounts to read and parse.
                Summary = new JobSummary(
                    r.Id, r.OwnerId, r.OwnerLinuxUserName, r.Name, r.Image, JobMapper.ToDomain(r.State), JobMapper.ToDomain(r.PendingReason),
                    r.GpuCount, r.SubmittedAt, r.StartedAt, r.FinishedAt, r.ExitCode, r.GpuSeconds, r.AppFile != null, r.Walltime,
                    // Why a job ended badly, for the list's short reason: the detail of its last move.
                    r.State == JobStateColumn.Failed || r.State == JobStateColumn.TimedOut || r.State == JobStateColumn.Lost
                        ? db.JobStateChanges.Where(c => c.JobId == r.Id).OrderByDescending(c => c.Id).Select(c => c.Reason).FirstOrDefault()
                        : null),
                Total = all.Count(),
            });
    }

    private static IOrderedQueryable<JobRecord> Ordered(IQueryable<JobRecord> jobs, JobSort sort, bool ascending, DateTimeOffset now)
    {
        var ordered = sort switch
        {
            JobSort.Name => ascending ? jobs.OrderBy(j => j.Name) : jobs.OrderByDescending(j => j.Name),
            JobSort.State => ascending ? jobs.OrderBy(j => j.State) : jobs.OrderByDescending(j => j.State),
            JobSort.Submitted => ascending ? jobs.OrderBy(j => j.SubmittedAt) : jobs.OrderByDescending(j => j.SubmittedAt),
            // Never started: no time run. Running: up to now.
            JobSort.Elapsed => ascending
                ? jobs.OrderBy(j => j.StartedAt == null ? TimeSpan.Zero : (j.FinishedAt ?? now) - j.StartedAt.Value)
                : jobs.OrderByDescending(j => j.StartedAt == null ? TimeSpan.Zero : (j.FinishedAt ?? now) - j.StartedAt.Value),
            _ => ascending ? jobs.OrderBy(j => j.Id) : jobs.OrderByDescending(j => j.Id),
        };
        return ordered.ThenByDescending(j => j.Id);
    }

    private sealed class ListRow
    {
        public required JobSummary Summary { get; init; }

        public int Total { get; init; }
    }
}
