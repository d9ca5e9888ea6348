using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Portal.Core.Accounts;
using Portal.Core.Apps;
using Portal.Core.Sessions;
using Portal.Data.Jobs;
using Portal.Launcher.Protocol;

namespace Portal.Web.Services.Sessions;

/// <summary>
/// The proxy's targets from the job store: a running job with a session, or a running app with a web front, is served from
/// <c>&lt;Portal:Sessions:SocketDirectory&gt;/&lt;id&gt;/http.sock</c>, to its owner, and its socket's peer must be the uid of
/// the Linux account the job runs as. A session on a Slurm cluster is served from its node, through its Slurm job. Answers are kept for a moment, so a page's burst of requests costs one query:
/// an owner never changes, and a stopped job's folder is gone before its record is.
/// </summary>
public sealed class JobSessionTargets(
    JobStore jobs,
    ILinuxAccountDirectory accounts,
    IOptions<SessionOptions> options,
    TimeProvider clock) : ISessionTargets
{
    private static readonly TimeSpan Keep = TimeSpan.FromSeconds(2);
    private readonly ConcurrentDictionary<long, (SessionTarget? Target, DateTimeOffset Until)> _recent = new();

    public async ValueTask<SessionTarget?> FindAsync(long jobId, CancellationToken cancellationToken)
    {
        DateTimeOffset now = clock.GetUtcNow();
        if (_recent.TryGetValue(jobId, out var kept) && kept.Until > now)
        {
            return kept.Target;
        }

        SessionTarget? target = await LoadAsync(jobId, cancellationToken);
        _recent[jobId] = (target, now + Keep);
        if (_recent.Count > 10_000)
        {
            foreach (var stale in _recent.Where(e => e.Value.Until <= now))
            {
                _recent.TryRemove(stale.Key, out _);
            }
        }

        return target;
    }

    private async Task<SessionTarget?> LoadAsync(long jobId, CancellationToken cancellationToken)
    {
        var session = await jobs.FindRunningSessionAsync(jobId, cancellationToken);
        if (session is not null)
        {
            SessionTarget? target = await TargetAsync(jobId, session.OwnerId, session.Owner, new SessionApp(session.Kind).StripsPrefix, cancellationToken);
            return OnNode(target, session.Owner, session.SlurmJobId);
        }

        // An app's web front: the launcher gave that service the job's session folder and sockbridge. A compose file
        // cannot know its job's id, so the front serves from "/" and gets the path after /s/<id>.
        var app = await jobs.FindRunningAppAsync(jobId, cancellationToken);
        return app is not null && AppFileParser.Parse(app.AppFile).Spec?.WebFront is not null
            ? OnNode(await TargetAsync(jobId, app.OwnerId, app.Owner, stripsPrefix: true, cancellationToken), app.Owner, app.SlurmJobId)
            : null;
    }

    /// <summary>A session or web front on a Slurm cluster is served from its node, through its Slurm job.</summary>
    private static SessionTarget? OnNode(SessionTarget? target, string owner, long? slurmJobId) =>
        target is not null && slurmJobId is { } id
            ? target with
            {
                SocketPath = SlurmNames.NodeSessionFolder(target.OwnerUid, id) + "/" + SessionRules.SocketName,
                Slurm = new SlurmSessionLink(owner, id),
            }
            : target;

    private async Task<SessionTarget?> TargetAsync(long jobId, Guid ownerId, string owner, bool stripsPrefix, CancellationToken cancellationToken)
    {
        if (await accounts.FindByNameAsync(owner, cancellationToken) is not { } account)
        {
            return null;
        }

        string socket = options.Value.SocketDirectory.TrimEnd('/') + "/" + jobId.ToString(System.Globalization.CultureInfo.InvariantCulture)
            + "/" + SessionRules.SocketName;
        return new SessionTarget(jobId, ownerId, account.Uid, socket, stripsPrefix ? SessionPathMode.StripPrefix : SessionPathMode.KeepPrefix);
    }
}
