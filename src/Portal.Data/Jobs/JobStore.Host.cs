using Microsoft.EntityFrameworkCore;
using Portal.Core.Jobs;
using Portal.Core.Sessions;
using Portal.Data.Entities.Jobs;

namespace Portal.Data.Jobs;

// The job host's side: reads and changes it makes for the system, on any job, with no requester. Whoever asked for a
// change (a cancel) was authorized before the host was asked; the scheduling writes are in JobStore.Scheduling.cs.
public sealed partial class JobStore
{
    private static readonly JobStateColumn[] StartedStates = [JobStateColumn.Starting, JobStateColumn.Running];

    /// <summary>A job whoever owns it, or null when there is none.</summary>
    public Task<JobDetails?> FindAsync(long jobId, CancellationToken cancellationToken = default) =>
        ReadAsync(jobId, ownerId: null, cancellationToken);

    /// <summary>Every Starting and Running job (the jobs whose containers the host follows), oldest first.</summary>
    public async Task<IReadOnlyList<JobSummary>> ListStartedAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Jobs.AsNoTracking()
            .Where(j => StartedStates.Contains(j.State))
            .OrderBy(j => j.Id)
            .Select(r => new JobSummary(
                r.Id, r.OwnerId, r.OwnerLinuxUserName, r.Name, r.Image, JobMapper.ToDomain(r.State), JobMapper.ToDomain(r.PendingReason),
                r.GpuCount, r.SubmittedAt, r.StartedAt, r.FinishedAt, r.ExitCode, r.GpuSeconds, r.AppFile != null))
            .ToListAsync(cancellationToken);
    }

    /// <summary>
    /// A running session, whoever owns it, or null when <paramref name="jobId"/> is not one (not a session, or not
    /// Running). The session proxy asks on a user's request and checks the owner itself; it needs no more than this.
    /// </summary>
    public async Task<RunningSession?> FindRunningSessionAsync(long jobId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.Jobs.AsNoTracking()
            .Where(j => j.Id == jobId && j.SessionKind != null && j.State == JobStateColumn.Running)
            .Select(j => new { j.OwnerId, j.OwnerLinuxUserName, j.SessionKind, j.Backend, j.BackendJobId })
            .FirstOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return null;
        }

        // A session on a Slurm cluster is reached through its Slurm job; one without Slurm's id yet is not reachable.
        long? slurmJobId = row.Backend == JobBackends.Slurm ? ParseSlurmId(row.BackendJobId) : null;
        if (row.Backend == JobBackends.Slurm && slurmJobId is null)
        {
            return null;
        }

        return new RunningSession(jobId, row.OwnerId, row.OwnerLinuxUserName, Enum.Parse<SessionKind>(row.SessionKind!), slurmJobId);
    }

    /// <summary>
    /// A running app, whoever owns it, with its file (which says whether it has a web front), or null when
    /// <paramref name="jobId"/> is not one. The session proxy serves an app's web front as it serves a session.
    /// </summary>
    public async Task<RunningApp?> FindRunningAppAsync(long jobId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.Jobs.AsNoTracking()
            .Where(j => j.Id == jobId && j.AppFile != null && j.State == JobStateColumn.Running)
            .Select(j => new { j.OwnerId, j.OwnerLinuxUserName, j.AppFile, j.Backend, j.BackendJobId })
            .FirstOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return null;
        }

        // As for a session: an app on a Slurm cluster is reached through its Slurm job.
        long? slurmJobId = row.Backend == JobBackends.Slurm ? ParseSlurmId(row.BackendJobId) : null;
        return row.Backend == JobBackends.Slurm && slurmJobId is null ? null
            : new RunningApp(jobId, row.OwnerId, row.OwnerLinuxUserName, row.AppFile!, slurmJobId);
    }

    /// <summary>Withdraws a queued job. A started job needs the launcher to stop it first; then record the end with
    /// <see cref="FinishAsync"/>.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="cancelledBy">The name recorded in the history ("cancelled by alice").</param>
    /// <param name="cancellationToken">Cancels the database work.</param>
    public Task<JobChangeResult> CancelQueuedAsync(long jobId, string cancelledBy, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(cancelledBy);
        return ChangeAsync(jobId, change =>
        {
            if (change.Job.State != JobState.Queued)
            {
                return Task.FromResult(WrongState(change.Job, "cancel a queued job"));
            }

            change.Job.Cancel(cancelledBy, change.Now);
            change.Record.GpuSeconds = 0;
            return Task.FromResult(JobChangeResult.Done);
        }, cancellationToken);
    }
}
