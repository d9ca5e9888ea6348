namespace Portal.Core.Sessions;

/// <summary>What each activity signal says about one session at one moment.</summary>
/// <param name="Floor">The earliest moment idleness may count from: the later of the session's start and the moment
/// the portal began watching (signals kept in memory know nothing from before a restart).</param>
/// <param name="LastProxied">The last proxied HTTP request or WebSocket data frame; null if none.</param>
/// <param name="ProxyBusy">A proxied HTTP request is in flight now.</param>
/// <param name="AppLastActivity">The app's own last activity (Jupyter's <c>last_activity</c>, code-server's heartbeat).</param>
/// <param name="AppBusy">The app says it is working now (a busy Jupyter kernel).</param>
/// <param name="GpuLastBusy">The last moment one of the session's GPUs was at or above the threshold.</param>
/// <param name="GpuBusy">One of its GPUs is at or above the threshold now, or cannot be read (unknown is not idle).</param>
/// <param name="KeepUntil">The owner's "keep" exempts the session until then.</param>
public sealed record SessionSignals(
    DateTimeOffset Floor,
    DateTimeOffset? LastProxied = null,
    bool ProxyBusy = false,
    DateTimeOffset? AppLastActivity = null,
    bool AppBusy = false,
    DateTimeOffset? GpuLastBusy = null,
    bool GpuBusy = false,
    DateTimeOffset? KeepUntil = null);

/// <summary>Where a session stands against its idle policy.</summary>
public enum SessionIdlePhase
{
    /// <summary>Some signal saw use within the window.</summary>
    Active,

    /// <summary>The owner recorded a reason to keep it, and the keep has not run out.</summary>
    Kept,

    /// <summary>Idle for the window: the owner is warned, and it stops at <see cref="SessionIdleState.StopAt"/>.</summary>
    Warned,

    /// <summary>Idle for the window and the grace period: stop it.</summary>
    Due,
}

/// <summary>A session's idle standing.</summary>
/// <param name="Phase">Active, kept, warned or due.</param>
/// <param name="LastActiveAt">The last moment any signal saw use (or the floor, or the end of a keep).</param>
/// <param name="WarnAt">When it counts (or counted) as idle.</param>
/// <param name="StopAt">When it is (or was due to be) stopped.</param>
public sealed record SessionIdleState(SessionIdlePhase Phase, DateTimeOffset LastActiveAt, DateTimeOffset WarnAt, DateTimeOffset StopAt)
{
    /// <summary>How long it had been idle at <paramref name="now"/>.</summary>
    public TimeSpan IdleFor(DateTimeOffset now) => now - LastActiveAt;
}

/// <summary>
/// Decides idleness from the signals: a session is idle only when every signal says so, that is when the latest use any
/// of them saw is a whole window ago. A signal that sees use now (a request in flight, a busy kernel, a busy GPU) makes
/// "now" the latest use. A keep counts as use until it runs out, so a keep that ends starts a full window and grace.
/// </summary>
public static class SessionIdleClock
{
    public static SessionIdleState Evaluate(SessionSignals signals, SessionIdlePolicy policy, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(signals);
        ArgumentNullException.ThrowIfNull(policy);
        DateTimeOffset last = Latest(signals.Floor, signals.LastProxied, signals.AppLastActivity, signals.GpuLastBusy);
        if (signals.ProxyBusy || signals.AppBusy || signals.GpuBusy)
        {
            last = Latest(last, now);
        }

        bool kept = signals.KeepUntil is { } keep && keep > now;
        if (signals.KeepUntil is { } until)
        {
            last = Latest(last, until < now ? until : now);
        }

        // A signal's clock may run slightly ahead of the portal's (Jupyter's own): never count from the future.
        if (last > now)
        {
            last = now;
        }

        DateTimeOffset warnAt = last + policy.Window;
        DateTimeOffset stopAt = warnAt + policy.Grace;
        SessionIdlePhase phase = kept ? SessionIdlePhase.Kept
            : now < warnAt ? SessionIdlePhase.Active
            : now < stopAt ? SessionIdlePhase.Warned
            : SessionIdlePhase.Due;
        return new SessionIdleState(phase, last, warnAt, stopAt);
    }

    private static DateTimeOffset Latest(DateTimeOffset first, params DateTimeOffset?[] others)
    {
        DateTimeOffset latest = first;
        foreach (DateTimeOffset? other in others)
        {
            if (other is { } o && o > latest)
            {
                latest = o;
            }
        }

        return latest;
    }
}
