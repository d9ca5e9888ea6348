using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Web.Services.Sessions;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Sessions;

/// <summary>
/// The portal on a real Kestrel socket (WebSockets need a real connection to upgrade), with the proxy's targets set
/// by the test: the proxy is tested here on its own, against real apps on real sockets; the job integration has
/// tests of its own.
/// </summary>
public class SessionProxyPortal : PortalFactory
{
    public SessionProxyPortal() => UseKestrel(0);

    public Uri BaseAddress { get; private set; } = default!;

    /// <summary>"scheme://host:port", what a browser sends as Origin from the portal's pages.</summary>
    public string Origin => BaseAddress.GetLeftPart(UriPartial.Authority);

    public TestSessionTargets Targets { get; } = new();

    protected override void StartHost()
    {
        StartServer();
        using HttpClient client = CreateClient();
        BaseAddress = client.BaseAddress!;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services =>
        {
            services.RemoveAll<ISessionTargets>();
            services.AddSingleton<ISessionTargets>(Targets);
        });
    }

    /// <summary>A browser-like client of its own (cookies, no redirects) signed in as a new account.</summary>
    public async Task<SessionUser> SignInAsync(string prefix, bool admin = false)
    {
        string name = TestNames.Unique(prefix);
        var user = await CreateUserAsync(name, TestNames.Password, admin);
        var cookies = new CookieContainer();
        var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false, UseCookies = true })
        {
            BaseAddress = BaseAddress,
        };
        var client = new PortalClient(http);
        using HttpResponseMessage login = await client.LoginAsync(name, TestNames.Password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return new SessionUser(user.Id, client, cookies);
    }
}

/// <summary>A signed-in person: their account id, their client and its cookie jar (for WebSockets).</summary>
public sealed record SessionUser(Guid Id, PortalClient Client, CookieContainer Cookies) : IDisposable
{
    public HttpClient Http => Client.Http;

    public void Dispose() => Client.Dispose();
}

/// <summary>The proxy's targets as a test sets them.</summary>
public sealed class TestSessionTargets : ISessionTargets
{
    private readonly ConcurrentDictionary<long, SessionTarget> _targets = new();
    private long _next = 900_000;

    /// <summary>Registers a target for a new job id and returns it.</summary>
    public SessionTarget Add(Guid owner, uint ownerUid, string socketPath, SessionPathMode mode = SessionPathMode.KeepPrefix)
    {
        var target = new SessionTarget(Interlocked.Increment(ref _next), owner, ownerUid, socketPath, mode);
        _targets[target.JobId] = target;
        return target;
    }

    public ValueTask<SessionTarget?> FindAsync(long jobId, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_targets.TryGetValue(jobId, out SessionTarget? t) ? t : null);
}
