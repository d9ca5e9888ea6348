using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Options;
using Portal.Core.Scheduling;
using Portal.Data.Jobs;

namespace Portal.Jobs;

/// <summary>
/// Runs the queue through the configured <see cref="IJobBackend"/> (podman on this host, or Slurm): one loop that, at
/// start, lets the backend adopt what survived a restart, and then
/// <list type="bullet">
/// <item>runs a scheduling pass when woken (<see cref="RequestPass"/>: submit, finish, quota change, GPU drain) and
/// at least every <see cref="JobRunnerOptions.SchedulingTick"/>;</item>
/// <item>every <see cref="IJobBackend.WatchInterval"/> records what became of started jobs;</item>
/// <item>every <see cref="JobRunnerOptions.ReconcileInterval"/> reconciles thoroughly.</item>
/// </list>
/// The loop calls the backend one step at a time. The local backend plans on the loop and runs its launcher calls in
/// one lane per owner (<see cref="OwnerLanes"/>, <see cref="JobRunnerOptions.OwnerConcurrency"/>), so one owner's slow
/// podman delays only that owner; either way no two steps of this portal ever act on the same job at once. A failing
/// step is logged and the loop goes on; when the runner stops, it waits for the backend's lane work to end.
/// </summary>
public sealed partial class JobRunner : BackgroundService
{
    private readonly SchedulingTrigger _trigger;
    private readonly IServiceProvider _services;
    private readonly JobRunnerOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<JobRunner> _logger;
    private readonly JobMetrics _metrics;
    private readonly ConcurrentQueue<JobCancelRequest> _cancels = new();
    private IJobBackend _backend = null!;

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
    /// Cancels a job through the runner's loop (so it never races a launch of the same job): a queued job is withdrawn,
    /// a started one is stopped as its owner (SIGTERM, SIGKILL after the grace period) and marked Cancelled, releasing
    /// its GPUs. Authorize first: this does not check who asks. The result says NotFound, WrongState (already ended,
    /// or the stop failed) or Applied.
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="cancelledBy">The name recorded in the history ("cancelled by alice").</param>
    /// <param name="cancellationToken">Stops waiting (the cancel may still happen).</param>
    public Task<JobChangeResult> CancelAsync(long jobId, string cancelledBy, CancellationToken cancellationToken = default)
    {
        var request = new JobCancelRequest(jobId, cancelledBy);
        _cancels.Enqueue(request);
        _trigger.Request(SchedulingCause.JobFinished);
        return request.Result.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Stops a running restartable job through the runner's loop, as <see cref="CancelAsync"/> does (SIGTERM, SIGKILL
    /// after the grace period, its cgroup emptied, its GPUs released), removes its container and queues it again with
    /// its original submission time. A job that is not restartable is cancelled instead: the result's message then
    /// starts with <see cref="NotRestartable"/>. Only the local backend requeues; the Slurm backend refuses (WrongState).
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="stoppedBy">The name recorded in the history when the job is cancelled instead.</param>
    /// <param name="reason">The history's reason for the requeue ("requeued: its GPUs were idle ...").</param>
    /// <param name="cancellationToken">Stops waiting (the requeue may still happen).</param>
    public Task<JobChangeResult> RequeueAsync(long jobId, string stoppedBy, string reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        var request = new JobCancelRequest(jobId, stoppedBy, reason);
        _cancels.Enqueue(request);
        _trigger.Request(SchedulingCause.JobFinished);
        return request.Result.WaitAsync(cancellationToken);
    }

    /// <summary>How the message of a <see cref="RequeueAsync"/> that stopped the job for good begins.</summary>
    public const string NotRestartable = "not restartable";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Resolved only now: the database's connection string exists once the database start-up (an earlier hosted
        // service) has run, and the host builds every hosted service before it starts the first.
        _backend = _services.GetRequiredService<IJobBackend>();
        try
        {
            await RunLoopAsync(stoppingToken);
        }
        finally
        {
            // Lane work sees the same token; let it end before the host goes on stopping.
            await _backend.IdleAsync();
        }
    }

    private async Task RunLoopAsync(CancellationToken stoppingToken)
    {
        // Before anything is started: adopt what survived a restart, so nothing is started twice.
        await GuardAsync("recovery at start", () => _backend.RecoverAsync(stoppingToken), stoppingToken);
        var now = _timeProvider.GetUtcNow();
        var nextPass = now;
        var nextWatch = now + _backend.WatchInterval;
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

            await DispatchCancelsAsync(stoppingToken);
            now = _timeProvider.GetUtcNow();
            if (now >= nextReconcile)
            {
                await GuardAsync("reconciliation", () => _backend.ReconcileAsync(stoppingToken), stoppingToken);
                nextReconcile = now + _options.ReconcileInterval;
                nextWatch = now + _backend.WatchInterval;
            }
            else if (now >= nextWatch)
            {
                await GuardAsync("completion watch", () => _backend.WatchAsync(stoppingToken), stoppingToken);
                nextWatch = now + _backend.WatchInterval;
            }

            if (cause != SchedulingCause.Tick || now >= nextPass)
            {
                await GuardAsync("scheduling pass", () => PassAsync(stoppingToken), stoppingToken);
                nextPass = _timeProvider.GetUtcNow() + _options.SchedulingTick;
            }
        }
    }

    /// <summary>Hands each waiting cancel to the backend; one the backend cannot begin now (its owner's lane is busy)
    /// waits for the next turn of the loop.</summary>
    private async Task DispatchCancelsAsync(CancellationToken stoppingToken)
    {
        List<JobCancelRequest> later = [];
        while (_cancels.TryDequeue(out var request))
        {
            try
            {
                if (!await _backend.TryCancelAsync(request, stoppingToken))
                {
                    later.Add(request);
                }
            }
            catch (Exception e)
            {
                if (!stoppingToken.IsCancellationRequested)
                {
                    LogCancelFailed(e, request.JobId);
                }

                request.Fail(e);
            }
        }

        foreach (var request in later)
        {
            _cancels.Enqueue(request);
        }
    }

    /// <summary>One scheduling pass of the backend, timed (the local backend's launcher work in the owners' lanes goes
    /// on after it).</summary>
    private async Task PassAsync(CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            await _backend.PassAsync(cancellationToken);
        }
        finally
        {
            _metrics.RecordPass(Stopwatch.GetElapsedTime(started));
        }
    }

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

    [LoggerMessage(Level = LogLevel.Error, Message = "Cancelling job {JobId} failed")]
    private partial void LogCancelFailed(Exception e, long jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "The job runner's {Step} failed; it runs again at the next occasion")]
    private partial void LogStepFailed(Exception e, string step);
}
