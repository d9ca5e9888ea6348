using Microsoft.Extensions.Options;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Data.Jobs;

namespace Portal.Jobs;

/// <summary>
/// The local backend: jobs run as rootless podman containers on this host. The portal's own scheduler places them on
/// the GPUs of the ledger; a pass commits each start and its GPUs in one transaction, then the launcher starts the
/// container as the job's owner; the <see cref="Reconciler"/> follows the containers and the job cgroups.
/// </summary>
/// <remarks>
/// The runner's loop calls in and this backend plans; the launcher calls run in one lane per owner
/// (<see cref="OwnerLanes"/>): an owner's reconciliation (or completion watch), their walltime stops and starts of a
/// pass, a cancel of their job, one at a time in that owner's lane, different owners at once (at most
/// <see cref="JobRunnerOptions.OwnerConcurrency"/>). Every job has one owner, so no two steps of this portal ever act
/// on the same job at once; and one owner's slow podman (a launcher call can take up to its deadline) delays only that
/// owner. An owner whose lane is busy is skipped and looked at again at the next round; for a pass or a cancel, the end
/// of that owner's lane work wakes the runner so it comes soon.
/// </remarks>
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
    ILogger<LocalJobBackend> logger) : IJobBackend, IDisposable
{
    private readonly JobRunnerOptions _options = options.Value;
    private readonly OwnerLanes _lanes = new(options.Value.OwnerConcurrency);

    // Set when work was left for a busy owner; the end of that owner's lane work wakes the runner to do it.
    private volatile bool _leftForBusyOwner;

    public TimeSpan WatchInterval => _options.WatchInterval;

    /// <summary>Adopt what survived a restart before anything starts, so no GPU is handed out twice: the owners'
    /// reconciliations run in their lanes, and this waits for all of them.</summary>
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        try
        {
            await DispatchReconciliationAsync(cleanUp: true, cancellationToken);
        }
        finally
        {
            await _lanes.IdleAsync();
        }
    }

    public Task WatchAsync(CancellationToken cancellationToken) => DispatchReconciliationAsync(cleanUp: false, cancellationToken);

    public Task ReconcileAsync(CancellationToken cancellationToken) => DispatchReconciliationAsync(cleanUp: true, cancellationToken);

    /// <summary>The cancel in its job's owner's lane (so it never races a launch or a stop of the same job); false for
    /// a busy owner, whose lane wakes the runner when it frees.</summary>
    public async Task<bool> TryCancelAsync(JobCancelRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var owner = (await store.FindAsync(request.JobId, cancellationToken))?.Job.Owner;
        if (owner is null)
        {
            // No such job: nothing of it can be under way, and the answer (NotFound) comes at once.
            await CancelAsync(request, cancellationToken);
            return true;
        }

        return StartInLane(owner, () => CancelAsync(request, cancellationToken), wake: true, cancellationToken);
    }

    public Task IdleAsync() => _lanes.IdleAsync();

    public void Dispose() => _lanes.Dispose();

    /// <summary>One scheduling pass: read, plan, record why jobs wait; then per owner, in the owner's lane, stop their
    /// overdue jobs and start their chosen ones.</summary>
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

        // Per owner, in the owner's lane: first their walltime stops, then their starts, one after the other.
        var steps = plan.WalltimeExceeded.Select(id => (Job: state.Jobs[id], Gpus: (IReadOnlyList<string>?)null))
            .Concat(plan.Starts.Select(start => (Job: state.Jobs[start.JobId], Gpus: (IReadOnlyList<string>?)start.GpuUuids)));
        foreach (var owner in steps.GroupBy(step => step.Job.Owner, StringComparer.Ordinal))
        {
            List<(Job Job, IReadOnlyList<string>? Gpus)> mine = [.. owner];
            // A busy owner's stops and starts are planned again by the next pass (woken when the lane frees).
            StartInLane(owner.Key, async () =>
            {
                foreach (var (job, gpuUuids) in mine)
                {
                    await GuardJobAsync(job, () => gpuUuids is null
                        ? actions.TimeOutAsync(ActiveJob.From(job), cancellationToken)
                        : StartAsync(job, gpuUuids, cancellationToken), cancellationToken);
                }
            }, wake: true, cancellationToken);
        }
    }

    /// <summary>Each owner's share of a reconciliation (or completion watch) in the owner's lane.</summary>
    private async Task DispatchReconciliationAsync(bool cleanUp, CancellationToken cancellationToken)
    {
        foreach (var round in await reconciler.OwnersAsync(cleanUp, cancellationToken))
        {
            // A busy owner is looked at by the next round; their lane's work is about their jobs anyway.
            StartInLane(round.Owner, () => reconciler.ReconcileAsync(round, cleanUp, cancellationToken), wake: false, cancellationToken);
        }
    }

    private async Task CancelAsync(JobCancelRequest request, CancellationToken cancellationToken)
    {
        try
        {
            request.Complete(request.RequeueReason is { } reason
                ? await actions.RequeueAsync(request.JobId, request.CancelledBy, reason, cancellationToken)
                : await actions.CancelAsync(request.JobId, request.CancelledBy, cancellationToken));
        }
        catch (Exception e)
        {
            LogCancelFailed(e, request.JobId);
            request.Fail(e);
        }
    }

    /// <summary>
    /// Starts work in the owner's lane. When the lane is busy nothing starts and the answer is false; with
    /// <paramref name="wake"/>, the end of the owner's current work then wakes the runner, so what was left is done soon
    /// rather than at the next tick.
    /// </summary>
    private bool StartInLane(string owner, Func<Task> work, bool wake, CancellationToken cancellationToken)
    {
        if (_lanes.TryStart(owner, async () =>
        {
            try
            {
                await work();
            }
            finally
            {
                if (_leftForBusyOwner)
                {
                    _leftForBusyOwner = false;
                    trigger.Request(SchedulingCause.JobFinished);
                }
            }
        }, cancellationToken))
        {
            return true;
        }

        LogOwnerBusy(owner);
        if (wake)
        {
            _leftForBusyOwner = true;
        }

        return false;
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

    [LoggerMessage(Level = LogLevel.Debug, Message = "The launcher work for {Owner} is still under way; what is due for their jobs waits for the next round")]
    private partial void LogOwnerBusy(string owner);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cancelling job {JobId} failed")]
    private partial void LogCancelFailed(Exception e, long jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling job {JobId} of {Owner} failed")]
    private partial void LogJobFailed(Exception e, long jobId, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Owner} was not started ({Status}): {Problem}")]
    private partial void LogNotStarted(long jobId, string owner, JobChangeStatus status, string? problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} has stored rows that break the job rules; the scheduler leaves it out")]
    private partial void LogUnreadable(long jobId);
}
