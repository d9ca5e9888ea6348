using Portal.Web.Services.Sessions.Activity;

namespace Portal.Web.Services.Sessions.Idle;

/// <summary>
/// The latest use each session's app has reported, kept from one probe to the next. A probe the app does not answer in
/// time (a loaded machine, a kernel starting) tells nothing new; without this memory such a probe would leave only the
/// session's start to count from, and a session used since would be warned, then not, then warned again (its countdown
/// jumping). An app that stops answering for good keeps what it said last, so a hung app is still reclaimed. A busy
/// kernel counts as use at the moment it was seen busy. Used by the reclaimer's one loop only: not thread-safe.
/// </summary>
public sealed class SessionAppActivityMemory
{
    private readonly Dictionary<long, DateTimeOffset> _latest = [];

    /// <summary>Folds in what the app said at <paramref name="now"/> (nothing, when it did not answer) and returns the
    /// latest use it has ever reported for <paramref name="jobId"/>; null when it never reported any.</summary>
    public DateTimeOffset? Remember(long jobId, SessionAppView view, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(view);
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

    /// <summary>Drops what was kept for a session that no longer runs.</summary>
    public void Forget(long jobId) => _latest.Remove(jobId);
}
