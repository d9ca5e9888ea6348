using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Data.Jobs;

namespace Portal.Jobs;

/// <summary>
/// Runs the queue: one loop that, at start, reconciles the database with podman, and then
/// <list type="bullet">
/// <item>plans a scheduling pass when woken (<see cref="RequestPass"/>: submit, finish, quota change, GPU drain) and
/// at least every <see cref="JobRunnerOptions.SchedulingTick"/>: pending reasons, walltime stops, starts;</item>
/// <item>every <see cref="JobRunnerOptions.WatchInterval"/> records the exits of started jobs;</item>
/// <item>every <see cref="JobRunnerOptions.ReconcileInterval"/> reconciles every account's containers.</item>
/// </list>
/// Everything happens on this one loop, one step at a time, so no two steps of this portal ever act on the same job at
/// once. A failing step is logged and the loop goes on.
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

        // Before anything is started: adopt what survived a restart, so no GPU is handed out twice.
        await GuardAsync("reconciliation at start", () => _reconciler.RunAsync(cleanUp: true, stoppingToken), stoppingToken);
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

            await CancelRequestedAsync(stoppingToken);
            now = _timeProvider.GetUtcNow();
            if (now >= nextReconcile)
            {
                await GuardAsync("reconciliation", () => _reconciler.RunAsync(cleanUp: true, stoppingToken), stoppingToken);
                nextReconcile = now + _options.ReconcileInterval;
                nextWatch = now + _options.WatchInterval;
            }
            else if (now >= nextWatch)
            {
                await GuardAsync("completion watch", () => _reconciler.RunAsync(cleanUp: false, stoppingToken), stoppingToken);
                nextWatch = now + _options.WatchInterval;
            }

            if (cause != SchedulingCause.Tick || now >= nextPass)
            {
                await GuardAsync("scheduling pass", () => PassAsync(stoppingToken), stoppingToken);
                nextPass = _timeProvider.GetUtcNow() + _options.SchedulingTick;
            }
        }
    }

    private async Task CancelRequestedAsync(CancellationToken stoppingToken)
    {
        while (_cancels.TryDequeue(out var request))
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

        var state = await _store.LoadSnapshotAsync(null, cancellationToken);
        foreach (var id in state.UnreadableJobIds)
        {
            LogUnreadable(id);
        }

        var plan = _scheduler.Plan(state.Snapshot);
        await _store.SetPendingReasonsAsync(plan.PendingReasons, cancellationToken);

        foreach (var id in plan.WalltimeExceeded)
        {
            var job = state.Jobs[id];
            await GuardJobAsync(job, () => _actions.TimeOutAsync(Active(job), cancellationToken), cancellationToken);
        }

        foreach (var start in plan.Starts)
        {
            var job = state.Jobs[start.JobId];
            await GuardJobAsync(job, () => StartAsync(job, start.GpuUuids, cancellationToken), cancellationToken);
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

        _metrics.RecordQueueWait(_timeProvider.GetUtcNow() - job.SubmittedAt);
        await _actions.LaunchAsync(job.Id, job.Owner, job.Spec, gpus, cancellationToken);
    }

    private sealed record CancelRequest(long JobId, string CancelledBy, TaskCompletionSource<JobChangeResult> Done);

    private static ActiveJob Active(Job job) =>
        new(job.Id, job.Owner, job.State, job.SubmittedAt, job.StartedAt, job.AssignedGpuUuids.Count);

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
