using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Data.Jobs;

namespace Portal.Jobs;

/// <summary>
/// Runs the queue: one loop that, at start, reconciles the database with podman and the kernel, and then
/// <list type="bullet">
/// <item>plans a scheduling pass when woken (<see cref="RequestPass"/>: submit, finish, quota change, GPU drain) and
/// at least every <see cref="JobRunnerOptions.SchedulingTick"/>: pending reasons, walltime stops, starts;</item>
/// <item>every <see cref="JobRunnerOptions.WatchInterval"/> records the exits of started jobs;</item>
/// <item>every <see cref="JobRunnerOptions.ReconcileInterval"/> reconciles every account's containers.</item>
/// </list>
/// The loop plans; the launcher calls run in one lane per owner (<see cref="OwnerLanes"/>): an owner's reconciliation,
/// their walltime stops and starts of a pass, a cancel of their job, one at a time in that owner's lane, different
/// owners at once (at most <see cref="JobRunnerOptions.OwnerConcurrency"/>). Every job has one owner, so no two steps
/// of this portal ever act on the same job at once; and one owner's slow podman (a launcher call can take up to its
/// deadline) delays only that owner. An owner whose lane is busy is skipped and looked at again at the next round.
/// A failing step is logged and the loop goes on.
/// </summary>
public sealed partial class JobRunner : BackgroundService
{
    private readonly SchedulingTrigger _trigger;
    private readonly IServiceProvider _services;
    private readonly JobRunnerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<JobRunner> _logger;
    private readonly JobMetrics _metrics;
    private readonly ConcurrentQueue<CancelRequest> _cancels = new();
    private readonly OwnerLanes _lanes;
    // Set when work was left for a busy owner; the end of that owner's lane work wakes the loop to do it.
    private volatile bool _leftForBusyOwner;
    private JobStore _store = null!;
    private Scheduler _scheduler = null!;
    private JobActions _actions = null!;
    private Reconciler _reconciler = null!;
    private GpuInventorySync _gpus = null!;

    public JobRunner(
        SchedulingTrigger trigger,
        IServiceProvider services,
        IOptions<JobRunnerOptions> options,
        TimeProvider timeProvider,
        JobMetrics metrics,
        ILogger<JobRunner> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _trigger = trigger;
        _services = services;
        _options = options.Value;
        _timeProvider = timeProvider;
        _logger = logger;
        _metrics = metrics;
        _lanes = new OwnerLanes(_options.OwnerConcurrency);
    }

    public override void Dispose()
    {
        _lanes.Dispose();
        base.Dispose();
    }

    /// <summary>
    /// Asks for a scheduling pass soon (never blocks; requests made while a pass runs coalesce into one more pass).
    /// Call it after a submit, a cancel, a quota change or a GPU drain.
    /// </summary>
    public void RequestPass(SchedulingCause cause) => _trigger.Request(cause);

    /// <summary>
    /// Cancels a job on the runner's loop (so it never races a launch of the same job): a queued job is withdrawn, a
    /// started one is stopped as its owner (SIGTERM, SIGKILL after the grace period) and marked Cancelled, releasing
    /// its GPUs. Authorize first: this does not check who asks. The result says NotFound, WrongState (already ended,
    /// or the stop failed) or Applied.
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="cancelledBy">The name recorded in the history ("cancelled by alice").</param>
    /// <param name="cancellationToken">Stops waiting (the cancel may still happen).</param>
    public Task<JobChangeResult> CancelAsync(long jobId, string cancelledBy, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(cancelledBy);
        var request = new CancelRequest(jobId, cancelledBy, new TaskCompletionSource<JobChangeResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        _cancels.Enqueue(request);
        _trigger.Request(SchedulingCause.JobFinished);
        return request.Done.Task.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Resolved only now: the database's connection string exists once the database start-up (an earlier hosted
        // service) has run, and the host builds every hosted service before it starts the first.
        _store = _services.GetRequiredService<JobStore>();
        _scheduler = _services.GetRequiredService<Scheduler>();
        _actions = _services.GetRequiredService<JobActions>();
        _reconciler = _services.GetRequiredService<Reconciler>();
        _gpus = _services.GetRequiredService<GpuInventorySync>();

        try
        {
            await RunLoopAsync(stoppingToken);
        }
        finally
        {
            // Lane work sees the same token; let it end before the host goes on stopping.
            await _lanes.IdleAsync();
        }
    }

    private async Task RunLoopAsync(CancellationToken stoppingToken)
    {
        // Before anything is started: adopt what survived a restart, so no GPU is handed out twice.
        await GuardAsync("reconciliation at start", () => DispatchReconciliationAsync(cleanUp: true, stoppingToken), stoppingToken);
        await _lanes.IdleAsync();
        var now = _timeProvider.GetUtcNow();
        var nextPass = now;
        var nextWatch = now + _options.WatchInterval;
        var nextReconcile = now + _options.ReconcileInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            var cause = SchedulingCause.Tick;
            var wait = Min(nextPass, nextWatch, nextReconcile) - _timeProvider.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                try
                {
                    cause = await _trigger.WaitAsync(wait, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    return;
                }
            }

            await GuardAsync("cancels", () => DispatchCancelsAsync(stoppingToken), stoppingToken);
            now = _timeProvider.GetUtcNow();
            if (now >= nextReconcile)
            {
                await GuardAsync("reconciliation", () => DispatchReconciliationAsync(cleanUp: true, stoppingToken), stoppingToken);
                nextReconcile = now + _options.ReconcileInterval;
                nextWatch = now + _options.WatchInterval;
            }
            else if (now >= nextWatch)
            {
                await GuardAsync("completion watch", () => DispatchReconciliationAsync(cleanUp: false, stoppingToken), stoppingToken);
                nextWatch = now + _options.WatchInterval;
            }

            if (cause != SchedulingCause.Tick || now >= nextPass)
            {
                await GuardAsync("scheduling pass", () => PassAsync(stoppingToken), stoppingToken);
                nextPass = _timeProvider.GetUtcNow() + _options.SchedulingTick;
            }
        }
    }

    /// <summary>Each owner's share of a reconciliation (or completion watch) in the owner's lane.</summary>
    private async Task DispatchReconciliationAsync(bool cleanUp, CancellationToken stoppingToken)
    {
        foreach (var round in await _reconciler.OwnersAsync(cleanUp, stoppingToken))
        {
            // A busy owner is looked at by the next round; their lane's work is about their jobs anyway.
            StartInLane(round.Owner, () => _reconciler.ReconcileAsync(round, cleanUp, stoppingToken), wake: false, stoppingToken);
        }
    }

    /// <summary>Each cancel in its job's owner's lane (so it never races a launch or a stop of the same job); one for
    /// a busy owner waits for the next turn of the loop.</summary>
    private async Task DispatchCancelsAsync(CancellationToken stoppingToken)
    {
        List<CancelRequest> later = [];
        while (_cancels.TryDequeue(out var request))
        {
            var owner = (await _store.FindAsync(request.JobId, stoppingToken))?.Job.Owner;
            if (owner is null)
            {
                await CancelAsync(request, stoppingToken);
            }
            else if (!StartInLane(owner, () => CancelAsync(request, stoppingToken), wake: true, stoppingToken))
            {
                later.Add(request);
            }
        }

        foreach (var request in later)
        {
            _cancels.Enqueue(request);
        }
    }

    private async Task CancelAsync(CancelRequest request, CancellationToken stoppingToken)
    {
        try
        {
            request.Done.TrySetResult(await _actions.CancelAsync(request.JobId, request.CancelledBy, stoppingToken));
        }
        catch (Exception e)
        {
            LogCancelFailed(e, request.JobId);
            request.Done.TrySetException(e);
        }
    }

    /// <summary>
    /// Starts work in the owner's lane. When the lane is busy nothing starts and the answer is false; with
    /// <paramref name="wake"/>, the end of the owner's current work then wakes the loop, so what was left is done soon
    /// rather than at the next tick.
    /// </summary>
    private bool StartInLane(string owner, Func<Task> work, bool wake, CancellationToken stoppingToken)
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
                    _trigger.Request(SchedulingCause.JobFinished);
                }
            }
        }, stoppingToken))
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

    /// <summary>One scheduling pass: read, plan, record why jobs wait, stop overdue jobs, start the chosen ones.</summary>
    private async Task PassAsync(CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            await PlanAndActAsync(cancellationToken);
        }
        finally
        {
            _metrics.RecordPass(Stopwatch.GetElapsedTime(started));
        }
    }

    private async Task PlanAndActAsync(CancellationToken cancellationToken)
    {
        if (_options.SyncGpuInventory)
        {
            await _gpus.SyncAsync(cancellationToken);
        }

        var state = await _store.LoadSnapshotAsync(_options.HostCapacity(), cancellationToken);
        foreach (var id in state.UnreadableJobIds)
        {
            LogUnreadable(id);
        }

        var plan = _scheduler.Plan(state.Snapshot);
        await _store.SetPendingReasonsAsync(plan.PendingReasons, cancellationToken);

        // Per owner, in the owner's lane: first their walltime stops, then their starts, one after the other.
        var steps = plan.WalltimeExceeded.Select(id => (Job: state.Jobs[id], Gpus: (IReadOnlyList<string>?)null))
            .Concat(plan.Starts.Select(start => (Job: state.Jobs[start.JobId], Gpus: (IReadOnlyList<string>?)start.GpuUuids)));
        foreach (var owner in steps.GroupBy(step => step.Job.Owner, StringComparer.Ordinal))
        {
            List<(Job Job, IReadOnlyList<string>? Gpus)> mine = [.. owner];
            // A busy owner's stops and starts are planned again by the next pass (woken when the lane frees).
            StartInLane(owner.Key, async () =>
            {
                foreach (var (job, gpus) in mine)
                {
                    await GuardJobAsync(job, () => gpus is null
                        ? _actions.TimeOutAsync(ActiveJob.From(job), cancellationToken)
                        : StartAsync(job, gpus, cancellationToken), cancellationToken);
                }
            }, wake: true, cancellationToken);
        }
    }

    private async Task StartAsync(Job job, IReadOnlyList<string> gpus, CancellationToken cancellationToken)
    {
        // The job's state and its ledger lines commit together before the launcher is asked, so a crash from here
        // on leaves a Starting job holding its GPUs, which reconciliation adopts or launches again.
        var commit = await _store.CommitStartAsync(job.Id, gpus, cancellationToken);
        if (!commit.Applied)
        {
            LogNotStarted(job.Id, job.Owner, commit.Status, commit.Message);
            if (commit.Status is JobChangeStatus.GpuBusy or JobChangeStatus.GpuUnusable)
            {
                // The plan was made on an older picture of the GPUs: plan again.
                _trigger.Request(SchedulingCause.GpuDrainChanged);
            }

            return;
        }

        var committedAt = _timeProvider.GetUtcNow();
        _metrics.RecordQueueWait(committedAt - job.SubmittedAt);
        await _actions.LaunchAsync(ActiveJob.Starting(job, gpus.Count, committedAt), job.Spec, gpus, cancellationToken);
    }

    private sealed record CancelRequest(long JobId, string CancelledBy, TaskCompletionSource<JobChangeResult> Done);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b, DateTimeOffset c) =>
        a < b ? (a < c ? a : c) : (b < c ? b : c);

    private async Task GuardAsync(string step, Func<Task> action, CancellationToken stoppingToken)
    {
        try
        {
            await action();
        }
        catch (Exception e) when (!stoppingToken.IsCancellationRequested)
        {
            LogStepFailed(e, step);
        }
        catch (Exception) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: a half-done launch is finished by the reconciliation at the next start.
        }
    }

    private async Task GuardJobAsync(Job job, Func<Task> action, CancellationToken stoppingToken)
    {
        using var scope = _logger.BeginJobScope(job.Id, job.Owner);
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

    [LoggerMessage(Level = LogLevel.Error, Message = "The job runner's {Step} failed; it runs again at the next occasion")]
    private partial void LogStepFailed(Exception e, string step);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling job {JobId} of {Owner} failed")]
    private partial void LogJobFailed(Exception e, long jobId, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Owner} was not started ({Status}): {Problem}")]
    private partial void LogNotStarted(long jobId, string owner, JobChangeStatus status, string? problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} has stored rows that break the job rules; the scheduler leaves it out")]
    private partial void LogUnreadable(long jobId);
}
