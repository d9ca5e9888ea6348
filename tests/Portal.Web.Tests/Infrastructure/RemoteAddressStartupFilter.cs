using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>
/// The in-memory test server has no socket, so no remote address; give requests the one Kestrel
/// would report for a client on this machine, so audit rows can be checked for it.
/// </summary>
internal sealed class RemoteAddressStartupFilter : IStartupFilter
{
    public static readonly IPAddress ClientAddress = IPAddress.Parse("127.0.0.2");

    /// <summary>A request header (tests only) that sets the client address the portal sees.</summary>
    public const string TestClientHeader = "X-Test-Client-Address";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((context, nextMiddleware) =>
        {
            // A test may speak as another client (the sign-in throttle counts per address).
            if (context.Request.Headers.TryGetValue(TestClientHeader, out var given) && IPAddress.TryParse(given, out IPAddress? address))
            {
                context.Connection.RemoteIpAddress = address;
            }

            context.Connection.RemoteIpAddress ??= ClientAddress;
            return nextMiddleware(context);
        });
        next(app);
    };
}
