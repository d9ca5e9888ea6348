using Portal.Web.Services.Sessions.Activity;

namespace Portal.Web.Services.Sessions.Idle;

/// <summary>
/// The latest use each session's app has reported, kept from one probe to the next. A probe the app does not answer in
/// time (a loaded machine, a kernel starting) tells nothing new; without this memory such a probe would leave only the
/// session's start to count from, and a session used since would be warned, then not, then warned again (its countdown
/// jumping). An app that stops answering for good keeps what it said last, so a hung app is still reclaimed. A busy
/// kernel counts as use at the moment it was seen busy. It also knows which apps have answered at all: until one has,
/// the session is still starting (see <see cref="IdleFloor"/>). Used by the reclaimer's one loop only: not thread-safe.
/// </summary>
public sealed class SessionAppActivityMemory
{
    private readonly Dictionary<long, DateTimeOffset> _latest = [];
    private readonly HashSet<long> _answered = [];

    /// <summary>Folds in what the app said at <paramref name="now"/> (nothing, when it did not answer) and returns the
    /// latest use it has ever reported for <paramref name="jobId"/>; null when it never reported any.</summary>
    public DateTimeOffset? Remember(long jobId, SessionAppView view, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(view);
        if (view.Answers)
        {
            _answered.Add(jobId);
        }

        DateTimeOffset? said = view.LastActivity ?? view.LastHeartbeat;
        if (view.BusyKernels > 0 && (said is null || said < now))
        {
            said = now;
        }

        if (said is not { } s)
        {
            return _latest.TryGetValue(jobId, out DateTimeOffset kept) ? kept : null;
        }

        if (!_latest.TryGetValue(jobId, out DateTimeOffset before) || s > before)
        {
            _latest[jobId] = s;
            return s;
        }

        return before;
    }

    /// <summary>
    /// When the idle clock may start counting for <paramref name="jobId"/>: <paramref name="floor"/> (the session's
    /// start, or the portal's own) once its app has answered a probe. Before that the app is still starting (a Jupyter
    /// image on a loaded box takes many seconds), and counting from the job's start would warn a session nobody could
    /// open yet, then withdraw the warning at the app's first answer (its own start time is use). So until the first
    /// answer the clock starts now, but no later than <paramref name="startAllowance"/> after the session started: an app
    /// that never answers is still reclaimed.
    /// </summary>
    public DateTimeOffset IdleFloor(long jobId, DateTimeOffset floor, DateTimeOffset startedAt, TimeSpan startAllowance, DateTimeOffset now)
    {
        if (_answered.Contains(jobId))
        {
            return floor;
        }

        DateTimeOffset starting = now < startedAt + startAllowance ? now : startedAt + startAllowance;
        return starting > floor ? starting : floor;
    }

    /// <summary>Drops what was kept for a session that no longer runs.</summary>
    public void Forget(long jobId)
    {
        _latest.Remove(jobId);
        _answered.Remove(jobId);
    }
}
