using Portal.Data.Jobs;

namespace Portal.Jobs;

/// <summary>
/// A cancel the <see cref="JobRunner"/> hands to its <see cref="IJobBackend"/>: the job, who cancels it, and the result
/// the caller of <see cref="JobRunner.CancelAsync"/> waits for. The backend completes it, on the runner's loop or later
/// (the local backend cancels in the job's owner's lane).
/// </summary>
public sealed class JobCancelRequest
{
    private readonly TaskCompletionSource<JobChangeResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public JobCancelRequest(long jobId, string cancelledBy, string? requeueReason = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(cancelledBy);
        JobId = jobId;
        CancelledBy = cancelledBy;
        RequeueReason = requeueReason;
    }

    /// <summary>Set for a stop and requeue (<see cref="JobRunner.RequeueAsync"/>): the job is stopped the same way and,
    /// when it is restartable, queued again with this reason in its history instead of ending Cancelled.</summary>
    public string? RequeueReason { get; }

    /// <summary>The job to cancel.</summary>
    public long JobId { get; }

    /// <summary>The name recorded in the history ("cancelled by alice").</summary>
    public string CancelledBy { get; }

    /// <summary>Completes with the cancel's result, or faults with why it could not be tried.</summary>
    public Task<JobChangeResult> Result => _done.Task;

    public void Complete(JobChangeResult result) => _done.TrySetResult(result);

    public void Fail(Exception exception) => _done.TrySetException(exception);
}
