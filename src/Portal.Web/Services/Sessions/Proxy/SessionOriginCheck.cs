using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace Portal.Web.Services.Sessions.Proxy;

/// <summary>
/// The proxy's own cross-site defence, in front of whatever the app does: a request that can change something (any
/// method but GET, HEAD, OPTIONS, TRACE) or open a WebSocket must come from a page of the sessions' origin. Browsers
/// send Origin with every such request, and a page cannot forge it. This stops cross-site WebSocket hijacking and
/// form posts even into an app whose own checks are off.
/// </summary>
internal static class SessionOriginCheck
{
    /// <summary>Whether the request may go on; <paramref name="expectedOrigin"/> is "scheme://host[:port]".</summary>
    public static bool Allows(HttpRequest request, string expectedOrigin)
    {
        bool upgrade = IsUpgrade(request);
        if (!upgrade && IsSafe(request.Method))
        {
            return true;
        }

        string? origin = request.Headers.Origin;
        if (!string.IsNullOrEmpty(origin))
        {
            return string.Equals(origin, expectedOrigin, StringComparison.OrdinalIgnoreCase);
        }

        if (upgrade)
        {
            // Every browser sends Origin on a WebSocket handshake; one without it is not from a page of ours.
            return false;
        }

        // No Origin on an unsafe request: not a browser, or a very old one. Fetch metadata, where present, decides.
        string? site = request.Headers["Sec-Fetch-Site"];
        return string.IsNullOrEmpty(site) || string.Equals(site, "same-origin", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>A WebSocket (or any other protocol) upgrade: HTTP/1.1 Upgrade, or HTTP/2 extended CONNECT.</summary>
    public static bool IsUpgrade(HttpRequest request) =>
        request.Headers.ContainsKey(HeaderNames.Upgrade)
        || request.HttpContext.Features.Get<IHttpExtendedConnectFeature>()?.IsExtendedConnect == true;

    /// <summary>"scheme://host[:port]" of the request as the browser addressed it (after the trusted proxy's headers).</summary>
    public static string OriginOf(HttpRequest request) => request.Scheme + "://" + request.Host.Value;

    private static bool IsSafe(string method) =>
        HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method) || HttpMethods.IsTrace(method);
}
