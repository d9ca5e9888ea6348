using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace Portal.Web.Services.Sessions.Proxy;

/// <summary>
/// What the app receives: the browser's request minus the portal's credentials. The portal's cookies and any
/// Authorization header never reach user code (the app could otherwise replay them against the portal), nor do
/// forwarding headers the app has no use for. The Host header stays the browser's, so the app's own same-origin
/// checks (Jupyter compares Origin with Host) keep working. What the app answers passes through, except cookies that
/// try to set the portal's own names.
/// </summary>
internal sealed class SessionRequestTransformer : HttpTransformer
{
    public static readonly SessionRequestTransformer Instance = new();

    private static readonly string[] DroppedRequestHeaders =
    [
        HeaderNames.Authorization, "Forwarded", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
        "X-Forwarded-Prefix", "X-Real-IP",
    ];

    private SessionRequestTransformer()
    {
    }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        foreach (string header in DroppedRequestHeaders)
        {
            proxyRequest.Headers.Remove(header);
        }

        proxyRequest.Headers.Remove(HeaderNames.Cookie);
        string? appCookies = PortalCookies.Without(httpContext.Request.Headers.Cookie);
        if (appCookies is not null)
        {
            proxyRequest.Headers.TryAddWithoutValidation(HeaderNames.Cookie, appCookies);
        }

        SessionTarget target = (SessionTarget)httpContext.Items[typeof(SessionTarget)]!;
        SessionSocketClient.Address(proxyRequest, target);
        PathString path = httpContext.Request.Path;
        if (target.PathMode == SessionPathMode.StripPrefix)
        {
            // "/s/42/x" -> "/x"; "/s/42/" -> "/".
            path = path.Value!.Length > target.PathPrefix.Length ? new PathString(path.Value[(target.PathPrefix.Length - 1)..]) : new PathString("/");
        }

        proxyRequest.RequestUri = RequestUtilities.MakeDestinationAddress(destinationPrefix, path, httpContext.Request.QueryString);
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        bool forward = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        if (proxyResponse is not null && httpContext.Response.Headers.SetCookie.Count > 0)
        {
            httpContext.Response.Headers.SetCookie = PortalCookies.WithoutPortalSetCookies(httpContext.Response.Headers.SetCookie);
        }

        return forward;
    }
}
