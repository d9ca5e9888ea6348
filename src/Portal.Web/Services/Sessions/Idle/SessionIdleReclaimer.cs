using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Options;
using Portal.Core.Sessions;
using Portal.Data.Jobs;
using Portal.Data.Quotas;
using Portal.Jobs;
using Portal.Web.Services.Audit;
using Portal.Web.Services.Sessions.Activity;

namespace Portal.Web.Services.Sessions.Idle;

/// <summary>
/// Stops interactive sessions nobody uses (docs/sessions.md, "Idle reclaim"). Every
/// <see cref="SessionOptions.IdleCheckInterval"/> it reads each running session whose owner's quota groups set an idle
/// policy, gathers every signal (proxied traffic, the app's own view, GPU utilisation, the owner's keep), and decides
/// with <see cref="SessionIdleClock"/>: idle for the window, the session page warns; idle for the grace period too, the
/// session is stopped through the same path as its owner's Stop (the runner's cancel: GPUs released, folder removed),
/// with the reason in its history and the audit log.
/// </summary>
public sealed partial class SessionIdleReclaimer(
    JobStore jobs,
    QuotaStore quotas,
    ISessionTargets targets,
    ISessionAppProbe probe,
    SessionTrafficRecorder traffic,
    SessionGpuActivity gpus,
    JobRunner runner,
    AuditLog audit,
    IOptions<SessionOptions> options,
    TimeProvider clock,
    ILogger<SessionIdleReclaimer> logger) : PeriodicPassService(clock, logger), ISessionIdleSource
{
    private readonly ConcurrentDictionary<long, SessionIdleStatus> _status = new();
    private readonly HashSet<long> _sessions = [];
    private readonly SessionAppActivityMemory _appActivity = new();
    private DateTimeOffset _watchingSince;

    public SessionIdleStatus? Status(long jobId) => _status.GetValueOrDefault(jobId);

    protected override TimeSpan Interval => options.Value.IdleCheckInterval;

    protected override string PassName => "session idle-reclaim";

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // What the proxy saw before a restart is gone: nothing counts as idle from before this moment.
        _watchingSince = Clock.GetUtcNow();
        return base.ExecuteAsync(stoppingToken);
    }

    protected override async Task PassAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<IdleCandidate> sessions = await jobs.ListRunningSessionsAsync(cancellationToken);
        ForgetEnded(sessions);
        IReadOnlyDictionary<Guid, SessionIdlePolicy?> policies =
            await quotas.ResolveIdleAsync(sessions.Select(s => s.OwnerId).Distinct().ToList(), cancellationToken);
        foreach (IdleCandidate session in sessions)
        {
            if (policies.GetValueOrDefault(session.OwnerId) is not { } policy)
            {
                _status.TryRemove(session.JobId, out _);
                continue;
            }

            SessionSignals signals = await GatherAsync(session, policy, cancellationToken);
            DateTimeOffset now = Clock.GetUtcNow();
            SessionIdleState state = SessionIdleClock.Evaluate(signals, policy, now);
            bool kept = session.KeepUntil > now;
            SessionIdleStatus? before = _status.GetValueOrDefault(session.JobId);
            _status[session.JobId] = new SessionIdleStatus(session.JobId, policy, state, now, kept ? session.KeepReason : null, kept ? session.KeepUntil : null);
            if (state.Phase == SessionIdlePhase.Warned && before?.State.Phase != SessionIdlePhase.Warned)
            {
                LogWarned(session.JobId, session.Owner, state.StopAt);
            }
            else if (state.Phase == SessionIdlePhase.Due)
            {
                await StopAsync(session, state, now, cancellationToken);
            }
        }
    }

    private async Task<SessionSignals> GatherAsync(IdleCandidate session, SessionIdlePolicy policy, CancellationToken cancellationToken)
    {
        SessionTraffic? seen = traffic.Traffic(session.JobId);
        SessionAppView view = SessionAppView.Silent;
        if (session.Kind != SessionKind.WebApp && await targets.FindAsync(session.JobId, cancellationToken) is { } target)
        {
            view = await probe.ProbeAsync(target, session.Kind, cancellationToken);
        }

        DateTimeOffset now = Clock.GetUtcNow();
        // A session on a Slurm node holds GPUs this host's monitor cannot read: with no reading, it is never called
        // idle while it holds them (a training run in its terminal shows nowhere else).
        (DateTimeOffset? gpuLast, bool gpuNow) = session.HoldsUnreadGpus ? (now, true) : gpus.Read(session.GpuUuids, policy.GpuThresholdPercent);
        DateTimeOffset? appLast = _appActivity.Remember(session.JobId, view, now);
        DateTimeOffset floor = session.StartedAt > _watchingSince ? session.StartedAt : _watchingSince;
        return new SessionSignals(
            // A web app is not probed: its clock runs from its start. Any other waits for its app's first answer.
            Floor: session.Kind == SessionKind.WebApp ? floor
                : _appActivity.IdleFloor(session.JobId, floor, session.StartedAt, options.Value.AppStartAllowance, now),
            LastProxied: seen?.LastActivityAt,
            ProxyBusy: seen is { OpenRequests: > 0 },
            AppLastActivity: appLast,
            AppBusy: view.BusyKernels > 0,
            GpuLastBusy: gpuLast,
            GpuBusy: gpuNow,
            KeepUntil: session.KeepUntil);
    }

    private async Task StopAsync(IdleCandidate session, SessionIdleState state, DateTimeOffset now, CancellationToken cancellationToken)
    {
        string reason = "stopped: idle for " + Describe(state.IdleFor(now));
        LogStopping(session.JobId, session.Owner, reason);
        JobChangeResult result = await runner.CancelAsync(session.JobId, $"the portal ({reason})", cancellationToken);
        await audit.WriteAsync(AuditActions.SessionIdleStopped, AuditActor.System, result.Applied,
            $"job {session.JobId.ToString(CultureInfo.InvariantCulture)} of {session.Owner}", result.Applied ? reason : result.Message,
            cancellationToken);
        if (result.Applied)
        {
            _status.TryRemove(session.JobId, out _);
        }
    }

    /// <summary>"42 min", or seconds under two minutes (a short test policy, or a tight one).</summary>
    public static string Describe(TimeSpan idle) =>
        idle < TimeSpan.FromMinutes(2)
            ? ((int)idle.TotalSeconds).ToString(CultureInfo.InvariantCulture) + " s"
            : ((int)idle.TotalMinutes).ToString(CultureInfo.InvariantCulture) + " min";

    /// <summary>Drops what is kept for sessions that no longer run: their status, and the proxy's traffic record.</summary>
    private void ForgetEnded(IReadOnlyList<IdleCandidate> running)
    {
        var now = running.Select(s => s.JobId).ToHashSet();
        foreach (long ended in _sessions.Where(id => !now.Contains(id)).ToList())
        {
            _sessions.Remove(ended);
            _status.TryRemove(ended, out _);
            traffic.Forget(ended);
            _appActivity.Forget(ended);
        }

        _sessions.UnionWith(now);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {JobId} of {Owner} is idle; it stops at {StopAt:u} unless used")]
    private partial void LogWarned(long jobId, string owner, DateTimeOffset stopAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session {JobId} of {Owner}: {Reason}")]
    private partial void LogStopping(long jobId, string owner, string reason);
}
