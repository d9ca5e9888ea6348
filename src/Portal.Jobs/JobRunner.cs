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
        _backend = _services.GetRequiredService<IJobBackend>();

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

            await CancelRequestedAsync(stoppingToken);
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

    private async Task CancelRequestedAsync(CancellationToken stoppingToken)
    {
        while (_cancels.TryDequeue(out var request))
        {
            try
            {
                request.Done.TrySetResult(await _backend.CancelAsync(request.JobId, request.CancelledBy, stoppingToken));
            }
            catch (Exception e)
            {
                LogCancelFailed(e, request.JobId);
                request.Done.TrySetException(e);
            }
        }
    }

    /// <summary>One scheduling pass of the backend, timed.</summary>
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Cancelling job {JobId} failed")]
    private partial void LogCancelFailed(Exception e, long jobId);

    [LoggerMessage(Level = LogLevel.Error, Message = "The job runner's {Step} failed; it runs again at the next occasion")]
    private partial void LogStepFailed(Exception e, string step);
}
