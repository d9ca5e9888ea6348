using Portal.Core.Jobs;

namespace Portal.Data.Jobs;

// The idle reclaim's requeue of a restartable job (docs/gpus.md, "Idle jobs").
public sealed partial class JobStore
{
    /// <summary>
    /// Puts a running restartable job, whose processes are gone and whose container was removed, back in the queue:
    /// its GPUs are released (the ledger lines of this attempt stay, released, for the record), its submission time is
    /// kept (so the scheduler's order and fair share treat it as the job it was), and the history says why.
    /// WrongState when it is not running or not restartable (nothing written).
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="reason">For the history: "requeued: its GPUs were idle ...".</param>
    /// <param name="cancellationToken">Cancels the database work.</param>
    public Task<JobChangeResult> RequeueAsync(long jobId, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return ChangeAsync(jobId, change =>
        {
            var job = change.Job;
            if (job.State != JobState.Running)
            {
                return Task.FromResult(WrongState(job, "requeue it"));
            }

            if (!job.Spec.Restartable)
            {
                return Task.FromResult(new JobChangeResult(JobChangeStatus.WrongState, $"Job {jobId} is not restartable."));
            }

            job.Requeue(reason, change.Now);
            foreach (var allocation in change.Allocations.Where(a => a.ReleasedAt is null))
            {
                allocation.ReleasedAt = change.Now;
            }

            // The owner's keep paused reclaim for the attempt that is over; the next attempt is judged afresh.
            change.Record.IdleKeepUntil = null;
            change.Record.IdleKeepReason = null;
            return Task.FromResult(JobChangeResult.Done);
        }, cancellationToken);
    }
}
