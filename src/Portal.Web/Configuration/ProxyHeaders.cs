using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Portal.Web.Configuration;

/// <summary>
/// Applies X-Forwarded-For and X-Forwarded-Proto from the TLS reverse proxy, so the portal sees the real client address
/// (audit log, sign-in throttling, the metrics scrapers) and scheme (Secure cookies, redirects) — from the proxies named in
/// "Portal:ForwardedHeaders:KnownProxies" only, and, with "Portal:ForwardedHeaders:TrustUnixSocket", from connections on
/// the portal's Unix socket (which only the proxy can open). Nobody else is trusted, a loopback peer included: every
/// local user connects from 127.0.0.1 too, and could otherwise write any address into the audit log.
/// </summary>
internal static class ProxyHeaders
{
    public const string KnownProxiesKey = "Portal:ForwardedHeaders:KnownProxies";
    public const string TrustUnixSocketKey = "Portal:ForwardedHeaders:TrustUnixSocket";

    public static IServiceCollection AddProxyHeaders(this IServiceCollection services, IConfiguration configuration)
    {
        string[] proxies = configuration.GetSection(KnownProxiesKey).Get<string[]>() ?? [];
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            // One proxy in front: take the address it saw, not one a client wrote into the header before it.
            options.ForwardLimit = 1;
            // The middleware trusts loopback by default; here only what the admin names is trusted.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (string proxy in proxies)
            {
                options.KnownProxies.Add(IPAddress.TryParse(proxy, out IPAddress? address)
                    ? address
                    : throw new InvalidOperationException($"{KnownProxiesKey} holds '{proxy}', which is not an IP address."));
            }
        });
        return services;
    }

    /// <summary>Forwarded headers from the named proxies, and from the Unix socket when it is trusted.</summary>
    public static IApplicationBuilder UseProxyHeaders(this IApplicationBuilder app, IConfiguration configuration)
    {
        if (configuration.GetValue<bool>(TrustUnixSocketKey))
        {
            app.Use((context, next) =>
            {
                // A Unix-socket connection has no peer address; the proxy is the only one allowed to connect there.
                if (context.Connection.RemoteIpAddress is null)
                {
                    ApplyFromSocket(context);
                }

                return next(context);
            });
        }

        return app.UseForwardedHeaders();
    }

    private static void ApplyFromSocket(HttpContext context)
    {
        string? forwardedFor = context.Request.Headers["X-Forwarded-For"].LastOrDefault()?.Split(',').LastOrDefault()?.Trim();
        if (IPAddress.TryParse(forwardedFor, out IPAddress? client))
        {
            context.Connection.RemoteIpAddress = client;
        }

        string? proto = context.Request.Headers["X-Forwarded-Proto"].LastOrDefault()?.Trim();
        if (proto is "http" or "https")
        {
            context.Request.Scheme = proto;
        }

        context.Request.Headers.Remove("X-Forwarded-For");
        context.Request.Headers.Remove("X-Forwarded-Proto");
    }
}
