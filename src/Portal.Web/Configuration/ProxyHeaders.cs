using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Portal.Web.Configuration;

/// <summary>
/// Trusts X-Forwarded-For and X-Forwarded-Proto from the TLS reverse proxy (deploy/proxy/), so the portal sees the
/// real client address (audit log, the loopback-only metrics) and scheme (Secure cookies, redirects). Only proxies on
/// this machine are trusted by default; a proxy elsewhere is named in "Portal:ForwardedHeaders:KnownProxies".
/// Headers from anyone else are ignored, so a client cannot claim another address.
/// </summary>
internal static class ProxyHeaders
{
    public const string KnownProxiesKey = "Portal:ForwardedHeaders:KnownProxies";

    public static IServiceCollection AddProxyHeaders(this IServiceCollection services, IConfiguration configuration)
    {
        string[] extra = configuration.GetSection(KnownProxiesKey).Get<string[]>() ?? [];
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // One proxy in front: take the address it saw, not one a client wrote into the header before it.
            options.ForwardLimit = 1;
            foreach (string proxy in extra)
            {
                options.KnownProxies.Add(IPAddress.TryParse(proxy, out IPAddress? address)
                    ? address
                    : throw new InvalidOperationException($"{KnownProxiesKey} holds '{proxy}', which is not an IP address."));
            }
        });
        return services;
    }
}
