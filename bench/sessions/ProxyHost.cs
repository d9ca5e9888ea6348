using System.Security.Claims;
using Portal.Web.Services.Sessions;
using Portal.Web.Services.Sessions.Proxy;

namespace Portal.Bench.Sessions;

/// <summary>
/// The portal's session proxy (SessionProxy, its socket client with the SO_PEERCRED check, the Origin check, the
/// header transformer, the per-user tracking and the traffic recorder), hosted alone on Kestrel for the bench: the
/// caller is taken as the session's owner, so what is measured is the proxy, not the portal's sign-in (which every
/// page request pays alike).
/// </summary>
internal static class ProxyHost
{
    public static readonly Guid Owner = Guid.Parse("00000000-0000-4000-8000-00000000b0b0");

    public static async Task RunAsync(string socket, uint ownerUid)
    {
        WebApplicationBuilder builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddSessionProxy(builder.Configuration);
        builder.Services.AddSingleton<ISessionTargets>(new FixedTarget(new SessionTarget(1, Owner, ownerUid, socket, SessionPathMode.KeepPrefix)));
        WebApplication app = builder.Build();
        var principal = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.NameIdentifier, Owner.ToString())], "bench"));
        app.Use((context, next) =>
        {
            context.User = principal;
            return next(context);
        });
        app.UseSessionRequestClock();
        app.Map(SessionPaths.Route, (HttpContext context, long jobId, SessionProxy proxy) => proxy.ForwardAsync(context, jobId));
        await app.StartAsync();
        Console.WriteLine(app.Urls.First());
        await app.WaitForShutdownAsync();
    }

    private sealed class FixedTarget(SessionTarget target) : ISessionTargets
    {
        public ValueTask<SessionTarget?> FindAsync(long jobId, CancellationToken cancellationToken) =>
            ValueTask.FromResult<SessionTarget?>(jobId == target.JobId ? target : null);
    }
}
