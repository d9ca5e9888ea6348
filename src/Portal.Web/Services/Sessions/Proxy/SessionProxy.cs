using System.Diagnostics;
using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Portal.Web.Services.Sessions.Activity;
using Yarp.ReverseProxy.Forwarder;

namespace Portal.Web.Services.Sessions.Proxy;

/// <summary>
/// Serves a job's app at <c>/s/&lt;job id&gt;/</c>: HTTP and WebSockets, forwarded with YARP to the app's Unix socket,
/// to the job's owner only. Everyone else, administrators included, gets 404 as for another user's job: an app runs
/// as its owner with the owner's files, and opening it would act as them.
/// </summary>
public sealed partial class SessionProxy(
    ISessionTargets targets,
    IHttpForwarder forwarder,
    SessionSocketClient client,
    ProxiedConnections connections,
    SessionTrafficRecorder traffic,
    IOptions<SessionOptions> options,
    ILogger<SessionProxy> logger)
{
    /// <summary>Where <see cref="SessionProxyRegistration.UseSessionRequestClock"/> leaves the request's start.</summary>
    internal const string AuthenticatedAtItem = "portal.session-request-clock";

    private readonly ForwarderRequestConfig _http = new()
    {
        ActivityTimeout = options.Value.RequestIdleTimeout,
        // Unix sockets carry HTTP/1.1: WebSockets are upgrades, and nothing is gained from h2c on a local socket.
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        AllowResponseBuffering = false,
    };

    private readonly ForwarderRequestConfig _webSocket = new()
    {
        ActivityTimeout = options.Value.WebSocketIdleTimeout,
        Version = HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        AllowResponseBuffering = false,
    };

    public async Task ForwardAsync(HttpContext context, long jobId)
    {
        CancellationToken aborted = context.RequestAborted;
        SessionTarget? target = await targets.FindAsync(jobId, aborted);
        Guid? userId = Guid.TryParse(context.User.FindFirstValue(ClaimTypes.NameIdentifier), out Guid id) ? id : null;
        if (target is null || userId != target.OwnerId)
        {
            // Someone else's session is indistinguishable from none.
            Refuse(context, StatusCodes.Status404NotFound);
            return;
        }

        string expectedOrigin = options.Value.OriginUri is { } sessions ? sessions.GetLeftPart(UriPartial.Authority) : SessionOriginCheck.OriginOf(context.Request);
        if (!SessionOriginCheck.Allows(context.Request, expectedOrigin))
        {
            LogCrossOrigin(jobId, context.Request.Method, context.Request.Headers.Origin.ToString());
            Refuse(context, StatusCodes.Status403Forbidden);
            return;
        }

        long authenticatedAt = context.Items[AuthenticatedAtItem] is long t ? t : Stopwatch.GetTimestamp();
        using ProxiedConnections.Registration? tracked = connections.Track(target.OwnerId, context, authenticatedAt);
        if (tracked is null)
        {
            return;
        }

        PrepareResponse(context);
        bool upgrade = SessionOriginCheck.IsUpgrade(context.Request);
        using SessionTrafficRecorder.RequestScope scope = traffic.RequestStarted(jobId, upgrade);
        if (upgrade)
        {
            ObserveUpgrade(context, scope);
        }

        context.Items[typeof(SessionTarget)] = target;
        ForwarderError error = await forwarder.SendAsync(context, SessionSocketClient.DestinationPrefix(jobId), client.Invoker,
            upgrade ? _webSocket : _http, SessionRequestTransformer.Instance);
        if (error is not ForwarderError.None and not ForwarderError.RequestCanceled and not ForwarderError.UpgradeRequestCanceled
            and not ForwarderError.UpgradeResponseCanceled and not ForwarderError.RequestBodyCanceled and not ForwarderError.ResponseBodyCanceled)
        {
            LogForwardError(jobId, error, context.GetForwarderErrorFeature()?.Exception?.Message);
        }
    }

    /// <summary>
    /// Lifts the portal's limits and headers that belong to its own pages, not to an app: the body limit (Jupyter
    /// uploads whole files as base64 JSON), the error pages (the app's errors pass as they are), and the page headers
    /// (the app sets its own; the portal's strict CSP would break it).
    /// </summary>
    private static void PrepareResponse(HttpContext context)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit)
        {
            bodyLimit.MaxRequestBodySize = null;
        }

        if (context.Features.Get<IStatusCodePagesFeature>() is { } statusPages)
        {
            statusPages.Enabled = false;
        }

        IHeaderDictionary headers = context.Response.Headers;
        headers.Remove("Content-Security-Policy");
        // The app may frame its own pages; nothing else may frame them.
        headers.XFrameOptions = "SAMEORIGIN";
        headers["Referrer-Policy"] = "same-origin";
    }

    /// <summary>Answers with <paramref name="status"/>: the portal's error page for a page load, a bare status for
    /// anything else (the error page would be rendered for the refused method, and a form post there fails).</summary>
    private static void Refuse(HttpContext context, int status)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && context.Features.Get<IStatusCodePagesFeature>() is { } statusPages)
        {
            statusPages.Enabled = false;
        }

        context.Response.StatusCode = status;
    }

    private void ObserveUpgrade(HttpContext context, SessionTrafficRecorder.RequestScope scope)
    {
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
        {
            context.Features.Set<IHttpUpgradeFeature>(new ObservedUpgradeFeature(upgrade, traffic, scope.Job));
        }

        if (context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
        {
            context.Features.Set<IHttpExtendedConnectFeature>(new ObservedExtendedConnectFeature(connect, traffic, scope.Job));
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a cross-origin {Method} to session {JobId} (Origin '{Origin}')")]
    private partial void LogCrossOrigin(long jobId, string method, string origin);

    [LoggerMessage(Level = LogLevel.Information, Message = "Proxying to session {JobId} failed: {Error} {Detail}")]
    private partial void LogForwardError(long jobId, ForwarderError error, string? detail);
}
