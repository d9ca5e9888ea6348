using Microsoft.EntityFrameworkCore;
using Portal.Core.Sessions;
using Portal.Data.Entities.Jobs;

namespace Portal.Data.Jobs;

/// <summary>A running session as idle reclaim sees it.</summary>
/// <param name="JobId">The session's job.</param>
/// <param name="OwnerId">The portal account that owns it (whose quota groups set its idle policy).</param>
/// <param name="Owner">The Linux account it runs as.</param>
/// <param name="Kind">What serves it (which app signals apply).</param>
/// <param name="StartedAt">When it started: idleness never counts from earlier.</param>
/// <param name="GpuUuids">The GPUs it holds in the ledger.</param>
/// <param name="KeepUntil">The owner's keep exempts it until then.</param>
/// <param name="KeepReason">Why the owner keeps it.</param>
/// <param name="HoldsUnreadGpus">It holds GPUs of a Slurm node, which this host's GPU monitor cannot read.</param>
public sealed record IdleCandidate(
    long JobId, Guid OwnerId, string Owner, SessionKind Kind, DateTimeOffset StartedAt, IReadOnlyList<string> GpuUuids,
    DateTimeOffset? KeepUntil, string? KeepReason, bool HoldsUnreadGpus = false);

// Idle reclaim's reads and the owner's "keep".
public sealed partial class JobStore
{
    /// <summary>Every Running session with the GPUs it holds, oldest first.</summary>
    public async Task<IReadOnlyList<IdleCandidate>> ListRunningSessionsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Jobs.AsNoTracking()
            .Where(j => j.SessionKind != null && j.State == JobStateColumn.Running)
            .OrderBy(j => j.Id)
            .Select(j => new
            {
                j.Id, j.OwnerId, j.OwnerLinuxUserName, j.SessionKind, j.StartedAt, j.SubmittedAt, j.IdleKeepUntil, j.IdleKeepReason,
                OnCluster = j.Backend == JobBackends.Slurm, j.GpuCount,
                Gpus = db.GpuAllocations.Where(a => a.JobId == j.Id && a.ReleasedAt == null).OrderBy(a => a.Position).Select(a => a.GpuUuid).ToList(),
            })
            .ToListAsync(cancellationToken);
        return rows.Select(r => new IdleCandidate(
            r.Id, r.OwnerId, r.OwnerLinuxUserName, Enum.Parse<SessionKind>(r.SessionKind!), r.StartedAt ?? r.SubmittedAt, r.Gpus,
            r.IdleKeepUntil, r.IdleKeepReason, HoldsUnreadGpus: r.OnCluster && r.GpuCount > 0)).ToList();
    }

    /// <summary>
    /// Records the owner's reason to keep a running session until <paramref name="until"/> (a new keep replaces the
    /// old one). False when <paramref name="jobId"/> is not a running session of <paramref name="ownerId"/>.
    /// </summary>
    public async Task<bool> SetIdleKeepAsync(long jobId, Guid ownerId, string reason, DateTimeOffset until, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (reason.Length > JobRecord.MaxKeepReasonLength)
        {
            throw new ArgumentException($"A keep reason has at most {JobRecord.MaxKeepReasonLength} characters.", nameof(reason));
        }

        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Jobs
            .Where(j => j.Id == jobId && j.OwnerId == ownerId && j.SessionKind != null && j.State == JobStateColumn.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.IdleKeepUntil, until).SetProperty(j => j.IdleKeepReason, reason), cancellationToken) > 0;
    }
}
