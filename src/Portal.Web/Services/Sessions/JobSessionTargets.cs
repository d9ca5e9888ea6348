using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Core.Accounts;
using Portal.Core.Sessions;
using Portal.Data;
using Portal.Data.Entities.Jobs;
using Portal.Launcher.Protocol;

namespace Portal.Web.Services.Sessions;

/// <summary>
/// The proxy's targets from the jobs table: a running job with a session is served from
/// <c>&lt;Portal:Sessions:SocketDirectory&gt;/&lt;id&gt;/http.sock</c>, to its owner, and its socket's peer must be the uid of
/// the Linux account the job runs as. Answers are kept for a moment, so a page's burst of requests costs one query:
/// an owner never changes, and a stopped job's folder is gone before its record is.
/// </summary>
public sealed class JobSessionTargets(
    IDbContextFactory<PortalDbContext> contexts,
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
        await using PortalDbContext db = await contexts.CreateDbContextAsync(cancellationToken);
        var job = await db.Set<JobRecord>().AsNoTracking()
            .Where(j => j.Id == jobId && j.SessionKind != null && j.State == JobStateColumn.Running)
            .Select(j => new { j.OwnerId, j.OwnerLinuxUserName, j.SessionKind })
            .FirstOrDefaultAsync(cancellationToken);
        if (job is null || await accounts.FindByNameAsync(job.OwnerLinuxUserName, cancellationToken) is not { } account)
        {
            return null;
        }

        var app = new SessionApp(Enum.Parse<SessionKind>(job.SessionKind!));
        string socket = options.Value.SocketDirectory.TrimEnd('/') + "/" + jobId.ToString(System.Globalization.CultureInfo.InvariantCulture)
            + "/" + SessionRules.SocketName;
        return new SessionTarget(jobId, job.OwnerId, account.Uid, socket, app.StripsPrefix ? SessionPathMode.StripPrefix : SessionPathMode.KeepPrefix);
    }
}
