using Microsoft.Extensions.Options;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Data.Jobs;

namespace Portal.Jobs;

/// <summary>
/// The local backend: jobs run as rootless podman containers on this host. The portal's own scheduler places them on
/// the GPUs of the ledger; a pass commits each start and its GPUs in one transaction, then the launcher starts the
/// container as the job's owner; the <see cref="Reconciler"/> follows the containers.
/// </summary>
internal sealed partial class LocalJobBackend(
    JobStore store,
    Scheduler scheduler,
    JobActions actions,
    Reconciler reconciler,
    GpuInventorySync gpus,
    SchedulingTrigger trigger,
    JobMetrics metrics,
    IOptions<JobRunnerOptions> options,
    TimeProvider timeProvider,
    ILogger<LocalJobBackend> logger) : IJobBackend
{
    private readonly JobRunnerOptions _options = options.Value;

    public TimeSpan WatchInterval => _options.WatchInterval;

    // Adopt what survived a restart before anything starts, so no GPU is handed out twice.
    public Task RecoverAsync(CancellationToken cancellationToken) => reconciler.RunAsync(cleanUp: true, cancellationToken);

    public Task WatchAsync(CancellationToken cancellationToken) => reconciler.RunAsync(cleanUp: false, cancellationToken);

    public Task ReconcileAsync(CancellationToken cancellationToken) => reconciler.RunAsync(cleanUp: true, cancellationToken);

    public Task<JobChangeResult> CancelAsync(long jobId, string cancelledBy, CancellationToken cancellationToken) =>
        actions.CancelAsync(jobId, cancelledBy, cancellationToken);

    /// <summary>One scheduling pass: read, plan, record why jobs wait, stop overdue jobs, start the chosen ones.</summary>
    public async Task PassAsync(CancellationToken cancellationToken)
    {
        if (_options.SyncGpuInventory)
        {
            await gpus.SyncAsync(cancellationToken);
        }

        var state = await store.LoadSnapshotAsync(_options.HostCapacity(), cancellationToken);
        foreach (var id in state.UnreadableJobIds)
        {
            LogUnreadable(id);
        }

        var plan = scheduler.Plan(state.Snapshot);
        await store.SetPendingReasonsAsync(plan.PendingReasons, cancellationToken);

        foreach (var id in plan.WalltimeExceeded)
        {
            var job = state.Jobs[id];
            await GuardJobAsync(job, () => actions.TimeOutAsync(ActiveJob.From(job), cancellationToken), cancellationToken);
        }

        foreach (var start in plan.Starts)
        {
            var job = state.Jobs[start.JobId];
            await GuardJobAsync(job, () => StartAsync(job, start.GpuUuids, cancellationToken), cancellationToken);
        }
    }

    private async Task StartAsync(Job job, IReadOnlyList<string> gpuUuids, CancellationToken cancellationToken)
    {
        // The job's state and its ledger lines commit together before the launcher is asked, so a crash from here
        // on leaves a Starting job holding its GPUs, which reconciliation adopts or launches again.
        var commit = await store.CommitStartAsync(job.Id, gpuUuids, cancellationToken);
        if (!commit.Applied)
        {
            LogNotStarted(job.Id, job.Owner, commit.Status, commit.Message);
            if (commit.Status is JobChangeStatus.GpuBusy or JobChangeStatus.GpuUnusable)
            {
                // The plan was made on an older picture of the GPUs: plan again.
                trigger.Request(SchedulingCause.GpuDrainChanged);
            }

            return;
        }

        var committedAt = timeProvider.GetUtcNow();
        metrics.RecordQueueWait(committedAt - job.SubmittedAt);
        await actions.LaunchAsync(ActiveJob.Starting(job, gpuUuids.Count, committedAt), job.Spec, gpuUuids, cancellationToken);
    }

    private async Task GuardJobAsync(Job job, Func<Task> action, CancellationToken stoppingToken)
    {
        using var scope = logger.BeginJobScope(job.Id, job.Owner);
        try
        {
            await action();
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            LogJobFailed(e, job.Id, job.Owner);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling job {JobId} of {Owner} failed")]
    private partial void LogJobFailed(Exception e, long jobId, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Owner} was not started ({Status}): {Problem}")]
    private partial void LogNotStarted(long jobId, string owner, JobChangeStatus status, string? problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} has stored rows that break the job rules; the scheduler leaves it out")]
    private partial void LogUnreadable(long jobId);
}
