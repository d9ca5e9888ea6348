using Microsoft.EntityFrameworkCore;
using Portal.Core.Notifications;
using Portal.Data.Entities.Jobs;
using Portal.Data.Notifications;

namespace Portal.Data.Jobs;

/// <summary>A running batch job as idle reclaim sees it.</summary>
/// <param name="JobId">The job.</param>
/// <param name="OwnerId">The portal account that owns it (whose quota groups set its idle policy).</param>
/// <param name="Owner">The Linux account it runs as.</param>
/// <param name="Name">The job's name (for its notifications).</param>
/// <param name="StartedAt">When it started: minutes before belong to someone else.</param>
/// <param name="GpuUuids">The GPUs it holds in the ledger.</param>
/// <param name="KeepUntil">The owner's one keep pauses reclaim until then.</param>
/// <param name="KeepReason">Why the owner keeps it (recorded once per job).</param>
public sealed record JobIdleCandidate(
    long JobId, Guid OwnerId, string Owner, string Name, DateTimeOffset StartedAt, IReadOnlyList<string> GpuUuids,
    DateTimeOffset? KeepUntil, string? KeepReason);

/// <summary>The outcome of a job keep.</summary>
public enum JobKeepOutcome
{
    /// <summary>Recorded.</summary>
    Kept,

    /// <summary>No running batch job of this owner has that id.</summary>
    NotFound,

    /// <summary>The job was kept once already: a job is kept only once.</summary>
    AlreadyKept,
}

// Idle reclaim of batch jobs: its reads, the owner's one keep, and the notifications that are not state moves.
public sealed partial class JobStore
{
    /// <summary>Every Running batch job (not a session) that holds GPUs, with them, oldest first.</summary>
    public async Task<IReadOnlyList<JobIdleCandidate>> ListRunningGpuJobsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Jobs.AsNoTracking()
            .Where(j => j.SessionKind == null && j.State == JobStateColumn.Running)
            .OrderBy(j => j.Id)
            .Select(j => new
            {
                j.Id, j.OwnerId, j.OwnerLinuxUserName, j.Name, j.StartedAt, j.SubmittedAt, j.IdleKeepUntil, j.IdleKeepReason,
                Gpus = db.GpuAllocations.Where(a => a.JobId == j.Id && a.ReleasedAt == null).OrderBy(a => a.Position).Select(a => a.GpuUuid).ToList(),
            })
            .ToListAsync(cancellationToken);
        return rows.Where(r => r.Gpus.Count > 0).Select(r => new JobIdleCandidate(
            r.Id, r.OwnerId, r.OwnerLinuxUserName, r.Name, r.StartedAt ?? r.SubmittedAt, r.Gpus, r.IdleKeepUntil, r.IdleKeepReason)).ToList();
    }

    /// <summary>
    /// Records the owner's one reason to keep a running batch job until <paramref name="until"/>. Unlike a session's
    /// keep, it cannot be renewed: the update only matches a job without a reason yet, so two keeps racing record one.
    /// </summary>
    public async Task<JobKeepOutcome> KeepIdleJobAsync(long jobId, Guid ownerId, string reason, DateTimeOffset until, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (reason.Length > JobRecord.MaxKeepReasonLength)
        {
            throw new ArgumentException($"A keep reason has at most {JobRecord.MaxKeepReasonLength} characters.", nameof(reason));
        }

        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var mine = db.Jobs.Where(j => j.Id == jobId && j.OwnerId == ownerId && j.SessionKind == null && j.State == JobStateColumn.Running);
        if (await mine.Where(j => j.IdleKeepReason == null)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.IdleKeepUntil, until).SetProperty(j => j.IdleKeepReason, reason), cancellationToken) > 0)
        {
            return JobKeepOutcome.Kept;
        }

        return await mine.AnyAsync(cancellationToken) ? JobKeepOutcome.AlreadyKept : JobKeepOutcome.NotFound;
    }

    /// <summary>
    /// Tells a job's owner something that is not a move of the job (an idle warning, a reclaim), through the same outbox
    /// and per-user settings as the moves.
    /// </summary>
    public async Task NotifyAsync(long jobId, NotificationKinds kind, string detail, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var job = await db.Jobs.AsNoTracking().Where(j => j.Id == jobId)
            .Select(j => new { j.OwnerId, j.Name, j.State, j.ExitCode }).SingleOrDefaultAsync(cancellationToken);
        if (job is null)
        {
            return;
        }

        var now = Now();
        var state = Enum.Parse<Portal.Core.Jobs.JobState>(job.State.ToString());
        await NotificationOutbox.AddAsync(db, job.OwnerId, jobId, job.Name, [new JobNotification(kind, state, job.ExitCode, detail, now)], now, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
    }
}
