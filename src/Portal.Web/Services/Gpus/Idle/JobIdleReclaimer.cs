using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using Portal.Core.Notifications;
using Portal.Core.Reclaim;
using Portal.Data.Jobs;
using Portal.Data.Quotas;
using Portal.Jobs;
using Portal.Web.Services.Audit;

namespace Portal.Web.Services.Gpus.Idle;

/// <summary>
/// Reclaims GPUs that running batch jobs hold and do not use (docs/gpus.md, "Idle jobs"). Every
/// <see cref="GpuMonitorOptions.JobIdleCheckInterval"/> it reads each running non-session job that holds GPUs, its
/// owner's quota-group policy, and the rollup rows of its GPUs from the monitor (<see cref="GpuMinuteHistory"/>), then
/// lets <see cref="IdleDetector"/> judge and <see cref="IdleWatch"/> decide: idle for the window, the owner is warned
/// (job page banner, an <see cref="NotificationKinds.IdleWarning"/> notification); still idle after the grace period,
/// the policy's action runs through the same path as the owner's Stop (the runner's cancel: GPUs released), with an
/// <see cref="NotificationKinds.Reclaimed"/> notification; under StopAndRequeue a restartable job is stopped the same
/// way and queued again with its original submission time (the runner's requeue), a job that is not is stopped. Every step is audited. Missing readings or a GPU that reports
/// no utilisation (MIG) never count as idle. The warning state lives in memory: after a restart the rows are gone too,
/// so a job is warned again only after a whole window of fresh readings.
/// </summary>
public sealed partial class JobIdleReclaimer(
    JobStore jobs,
    QuotaStore quotas,
    GpuMonitor monitor,
    JobRunner runner,
    AuditLog audit,
    IOptions<GpuMonitorOptions> options,
    TimeProvider clock,
    ILogger<JobIdleReclaimer> logger) : PeriodicPassService(clock, logger), IJobIdleSource
{
    private readonly ConcurrentDictionary<long, JobIdleStatus> _status = new();

    // When each watched job's attempt started: a requeued job that runs again is a new attempt, watched afresh.
    private readonly ConcurrentDictionary<long, DateTimeOffset> _attempts = new();
    public JobIdleStatus? Status(long jobId) => _status.GetValueOrDefault(jobId);

    protected override TimeSpan Interval => options.Value.JobIdleCheckInterval;

    protected override string PassName => "job idle-reclaim";

    protected override async Task PassAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<JobIdleCandidate> running = await jobs.ListRunningGpuJobsAsync(cancellationToken);
        var ids = running.Select(j => j.JobId).ToHashSet();
        foreach (long ended in _status.Keys.Where(id => !ids.Contains(id)).ToList())
        {
            _status.TryRemove(ended, out _);
        }

        foreach (long ended in _attempts.Keys.Where(id => !ids.Contains(id)).ToList())
        {
            _attempts.TryRemove(ended, out _);
        }

        IReadOnlyDictionary<Guid, IdlePolicy?> policies =
            await quotas.ResolveJobIdleAsync(running.Select(j => j.OwnerId).Distinct().ToList(), cancellationToken);
        GpuMinuteHistory history = monitor.Minutes;
        foreach (JobIdleCandidate job in running)
        {
            if (policies.GetValueOrDefault(job.OwnerId) is not { } policy)
            {
                _status.TryRemove(job.JobId, out _);
                continue;
            }

            if (_attempts.TryGetValue(job.JobId, out var attempt) && attempt != job.StartedAt)
            {
                _status.TryRemove(job.JobId, out _);
            }

            _attempts[job.JobId] = job.StartedAt;
            DateTimeOffset now = Clock.GetUtcNow();
            // A keep that ended starts a whole window afresh: the idle minutes it covered were the owner's to keep.
            DateTimeOffset since = job.KeepUntil is { } until && until > job.StartedAt && until <= now ? until : job.StartedAt;
            IdleVerdict verdict = IdleDetector.Evaluate(policy, job.GpuUuids,
                history.Of(job.GpuUuids, now - policy.Window - history.Period), history.ExpectedPerRow, since, now, history.Period);
            IdleWatch before = Synchronise(_status.GetValueOrDefault(job.JobId)?.Watch ?? IdleWatch.New, job);
            (IdleWatch next, IdleStep step) = before.Evaluate(verdict, policy, now);
            _status[job.JobId] = new JobIdleStatus(job.JobId, policy, verdict, next, now);
            switch (step)
            {
                case IdleStep.Warn:
                    await WarnAsync(job, policy, verdict, next, cancellationToken);
                    break;
                case IdleStep.ClearWarning:
                    LogCleared(job.JobId, job.Owner);
                    await audit.WriteAsync(AuditActions.JobIdleWarningCleared, AuditActor.System, true, Target(job), verdict.Detail, cancellationToken);
                    break;
                case IdleStep.Act:
                    await ActAsync(job, policy, verdict, cancellationToken);
                    break;
            }
        }
    }

    // The keep is recorded in the database (the page or the API wrote it): a new one withdraws a pending warning.
    private static IdleWatch Synchronise(IdleWatch watch, JobIdleCandidate job)
    {
        if (job.KeepReason is null || watch.KeepReason is not null || watch.Phase == IdlePhase.Reclaimed)
        {
            return watch;
        }

        return watch with
        {
            Phase = IdlePhase.Watching,
            WarnedAt = null,
            ActionDueAt = null,
            KeepReason = job.KeepReason,
            KeptUntil = job.KeepUntil,
        };
    }

    private async Task WarnAsync(JobIdleCandidate job, IdlePolicy policy, IdleVerdict verdict, IdleWatch watch, CancellationToken cancellationToken)
    {
        string due = watch.ActionDueAt?.ToString("u", CultureInfo.InvariantCulture) ?? "";
        string detail = policy.Action == ReclaimAction.WarnOnly
            ? $"{verdict.Detail} Its GPUs are wanted by others: stop it if it is done (this box only warns)."
            : policy.Action == ReclaimAction.StopAndRequeue
                ? $"{verdict.Detail} It will be stopped at {due} (and queued again if it is restartable) unless a GPU gets busy or you keep it."
                : $"{verdict.Detail} It will be stopped at {due} unless a GPU gets busy or you keep it.";
        LogWarned(job.JobId, job.Owner, due);
        await jobs.NotifyAsync(job.JobId, NotificationKinds.IdleWarning, detail, cancellationToken);
        await audit.WriteAsync(AuditActions.JobIdleWarned, AuditActor.System, true, Target(job), detail, cancellationToken);
    }

    private async Task ActAsync(JobIdleCandidate job, IdlePolicy policy, IdleVerdict verdict, CancellationToken cancellationToken)
    {
        string idle = "its GPUs stayed under " + policy.ThresholdPercent.ToString("0.#", CultureInfo.InvariantCulture)
            + " % for " + IdleDetector.Describe(policy.Window) + " and the grace period";
        if (policy.Action == ReclaimAction.StopAndRequeue)
        {
            await RequeueAsync(job, idle, verdict, cancellationToken);
            return;
        }

        string reason = "reclaimed: " + idle;
        LogReclaiming(job.JobId, job.Owner, reason);
        JobChangeResult result = await runner.CancelAsync(job.JobId, $"the portal ({reason})", cancellationToken);
        await audit.WriteAsync(AuditActions.JobIdleReclaimed, AuditActor.System, result.Applied, Target(job),
            result.Applied ? $"{reason}. {verdict.Detail}" : result.Message, cancellationToken);
        if (result.Applied)
        {
            await jobs.NotifyAsync(job.JobId, NotificationKinds.Reclaimed,
                $"It was stopped and its GPUs released: {verdict.Detail}", cancellationToken);
        }
    }

    // Stop and requeue: a restartable job goes back to the queue with its place kept; any other is stopped as with Stop,
    // and the audit and the notification say it was not requeued and why.
    private async Task RequeueAsync(JobIdleCandidate job, string idle, IdleVerdict verdict, CancellationToken cancellationToken)
    {
        string reason = "requeued: " + idle;
        string stoppedBy = $"the portal (reclaimed: {idle}; not restartable, so not requeued)";
        LogReclaiming(job.JobId, job.Owner, reason);
        JobChangeResult result = await runner.RequeueAsync(job.JobId, stoppedBy, reason, cancellationToken);
        bool requeued = result.Applied && result.Message?.StartsWith(JobRunner.NotRestartable, StringComparison.Ordinal) != true;
        if (!result.Applied)
        {
            await audit.WriteAsync(AuditActions.JobIdleRequeued, AuditActor.System, false, Target(job), result.Message, cancellationToken);
            return;
        }

        if (requeued)
        {
            await audit.WriteAsync(AuditActions.JobIdleRequeued, AuditActor.System, true, Target(job), $"{reason}. {verdict.Detail}", cancellationToken);
            await jobs.NotifyAsync(job.JobId, NotificationKinds.Reclaimed,
                $"It was stopped, its GPUs released, and it was queued again with its original submission time (it is restartable): {verdict.Detail}",
                cancellationToken);
            return;
        }

        await audit.WriteAsync(AuditActions.JobIdleReclaimed, AuditActor.System, true, Target(job),
            $"reclaimed: {idle}; the policy requeues, but {result.Message} {verdict.Detail}", cancellationToken);
        await jobs.NotifyAsync(job.JobId, NotificationKinds.Reclaimed,
            $"It was stopped and its GPUs released; it was not queued again because it was not submitted as restartable: {verdict.Detail}",
            cancellationToken);
    }

    private static string Target(JobIdleCandidate job) =>
        $"job {job.JobId.ToString(CultureInfo.InvariantCulture)} of {job.Owner}";

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Owner} leaves its GPUs idle; its action is due at {Due}")]
    private partial void LogWarned(long jobId, string owner, string due);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Owner} uses its GPUs again; the idle warning is withdrawn")]
    private partial void LogCleared(long jobId, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Owner}: {Reason}")]
    private partial void LogReclaiming(long jobId, string owner, string reason);
}
