using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;

namespace Portal.Web.Services.Sessions.Proxy;

/// <summary>
/// The one HTTP client the proxy and the app probes use to reach apps on their Unix sockets. Each job has a host name
/// of its own (<see cref="DestinationPrefix"/>), so SocketsHttpHandler keeps one connection pool per job, and every
/// new connection is checked: the process listening on the socket must be the job's owner (SO_PEERCRED).
/// </summary>
/// <remarks>
/// Why the check: the session folder is the user's, so the user can replace the socket with a symlink to another
/// user's socket. The portal (a member of every session folder's group) would then connect to that other user's app
/// for her. The peer's uid is recorded by the kernel when the app listened, so it cannot be faked by the user.
/// </remarks>
/// <remarks>
/// A session on a Slurm cluster (<see cref="SessionTarget.Slurm"/>) listens on a socket on its node instead. Each
/// connection to it is the launcher's <c>slurm-connect</c>, as the owner: Slurm itself checks the job is theirs, and
/// the relay on the node runs as them, so it can reach only what the owner can.
/// </remarks>
public sealed partial class SessionSocketClient : IDisposable
{
    /// <summary>The request option that carries the target to <see cref="ConnectAsync"/>.</summary>
    internal static readonly HttpRequestOptionsKey<SessionTarget> TargetOption = new("portal.session-target");

    private readonly SocketsHttpHandler _handler;
    private readonly ILogger<SessionSocketClient> _logger;
    private readonly ISlurmLauncher? _slurm;

    public SessionSocketClient(IOptions<SessionOptions> options, ILogger<SessionSocketClient> logger, ISlurmLauncher? slurm = null)
    {
        _logger = logger;
        _slurm = slurm;
        _handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            EnableMultipleHttp2Connections = false,
            ConnectTimeout = options.Value.ConnectTimeout,
            // An app that restarts leaves dead pooled connections behind; drop idle ones soon.
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            ActivityHeadersPropagator = null,
            ConnectCallback = ConnectAsync,
        };
        Invoker = new HttpMessageInvoker(_handler, disposeHandler: false);
    }

    /// <summary>The invoker for <c>IHttpForwarder</c> and the probes.</summary>
    public HttpMessageInvoker Invoker { get; }

    /// <summary>The URL prefix that selects the job's connection pool; it is never resolved or sent anywhere.</summary>
    public static string DestinationPrefix(long jobId) => "http://" + HostFor(jobId) + "/";

    /// <summary>Marks a request for <paramref name="target"/>'s socket.</summary>
    public static void Address(HttpRequestMessage request, SessionTarget target) => request.Options.Set(TargetOption, target);

    public void Dispose()
    {
        Invoker.Dispose();
        _handler.Dispose();
    }

    private static string HostFor(long jobId) => "job-" + jobId.ToString(CultureInfo.InvariantCulture) + ".session.invalid";

    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        if (!context.InitialRequestMessage.Options.TryGetValue(TargetOption, out SessionTarget? target)
            || !string.Equals(context.DnsEndPoint.Host, HostFor(target.JobId), StringComparison.Ordinal))
        {
            // Every request is addressed by the proxy or a probe; anything else is a bug, never a connection.
            throw new InvalidOperationException("A session request without its target.");
        }

        if (target.Slurm is { } link)
        {
            return await ConnectThroughSlurmAsync(target, link, cancellationToken);
        }

        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(target.SocketPath), cancellationToken);
            PeerCredentials peer = PeerCredentials.Of(socket);
            if (peer.Uid != target.OwnerUid)
            {
                LogForeignPeer(target.JobId, target.SocketPath, peer.Uid, target.OwnerUid);
                throw new HttpRequestException(HttpRequestError.ConnectionError,
                    $"The socket of job {target.JobId} is served by uid {peer.Uid}, not by its owner.");
            }

            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task<Stream> ConnectThroughSlurmAsync(SessionTarget target, SlurmSessionLink link, CancellationToken cancellationToken)
    {
        if (_slurm is null)
        {
            throw new InvalidOperationException("A Slurm session without a Slurm launcher.");
        }

        try
        {
            return await _slurm.ConnectAsync(link.Owner, JobKeys.Format(target.JobId), link.SlurmJobId, cancellationToken);
        }
        catch (LauncherException e)
        {
            LogRelayRefused(target.JobId, link.SlurmJobId, e.Message);
            throw new HttpRequestException(HttpRequestError.ConnectionError, $"Job {target.JobId} on Slurm cannot be reached: {e.Message}", e);
        }
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "No connection to job {JobId} through Slurm job {SlurmJobId}: {Reason}")]
    private partial void LogRelayRefused(long jobId, long slurmJobId, string reason);

    [LoggerMessage(Level = LogLevel.Warning,
        Message = "Refused the socket of job {JobId} ({Path}): served by uid {PeerUid}, not by the job's owner (uid {OwnerUid}). A swapped socket or symlink?")]
    private partial void LogForeignPeer(long jobId, string path, uint peerUid, uint ownerUid);
}
