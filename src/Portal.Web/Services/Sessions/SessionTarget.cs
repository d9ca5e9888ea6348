namespace Portal.Web.Services.Sessions;

/// <summary>How an app behind the proxy expects its paths.</summary>
public enum SessionPathMode
{
    /// <summary>The app knows its base path (Jupyter's <c>base_url</c>): it gets <c>/s/&lt;id&gt;/...</c> as the browser sent it.</summary>
    KeepPrefix,

    /// <summary>The app serves from <c>/</c> with relative links (code-server): it gets the path after <c>/s/&lt;id&gt;</c>.</summary>
    StripPrefix,
}

/// <summary>
/// Where the proxy sends one job's web traffic and whose it is: the job's socket in its session folder (created by
/// the launcher, see docs/sessions.md) and the Linux uid that must be at the other end of every connection.
/// </summary>
/// <param name="JobId">The job; the proxy path is <c>/s/&lt;JobId&gt;/</c>.</param>
/// <param name="OwnerId">The portal account that may open it; anyone else gets 404.</param>
/// <param name="OwnerUid">The Linux uid the app runs as on the host; a socket whose peer is anyone else is refused.</param>
/// <param name="SocketPath">The app's Unix socket (at most 107 bytes).</param>
/// <param name="PathMode">Whether the app gets the <c>/s/&lt;id&gt;</c> prefix.</param>
/// <param name="Slurm">Set for a session on a Slurm cluster: its socket is on the node, reached through the launcher as
/// the owner (<see cref="SlurmSessionLink"/>); <paramref name="SocketPath"/> then names it on the node.</param>
public sealed record SessionTarget(long JobId, Guid OwnerId, uint OwnerUid, string SocketPath, SessionPathMode PathMode, SlurmSessionLink? Slurm = null)
{
    /// <summary>The path prefix the portal serves the job under, with its trailing slash.</summary>
    public string PathPrefix => SessionPaths.Prefix(JobId);
}

/// <summary>How a session on a Slurm cluster is reached: the launcher, as <paramref name="Owner"/>, relays each
/// connection through a step of Slurm job <paramref name="SlurmJobId"/> to the app's socket on its node.</summary>
public sealed record SlurmSessionLink(string Owner, long SlurmJobId);

/// <summary>
/// Finds the proxy target of a job. The reusable seam between the proxy and whatever runs apps on sockets: sessions
/// and the web front of apps are both jobs with a session folder, found here by job id.
/// </summary>
public interface ISessionTargets
{
    /// <summary>The job's target while it may serve web traffic, or null (no such job, not a session, not running).</summary>
    ValueTask<SessionTarget?> FindAsync(long jobId, CancellationToken cancellationToken);
}
