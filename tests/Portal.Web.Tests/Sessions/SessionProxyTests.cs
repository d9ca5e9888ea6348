using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;
using Portal.Web.Services.Sessions;
using Portal.Web.Services.Sessions.Activity;
using Portal.Web.Tests.Infrastructure;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.Sessions;

/// <summary>The session proxy against real apps on real Unix sockets, run under other uids, through real Kestrel.</summary>
public sealed class SessionProxyTests(SessionProxyPortal portal, SessionApps apps) : IClassFixture<SessionProxyPortal>, IClassFixture<SessionApps>
{
    [Fact]
    public async Task TheOwner_ReachesTheApp_WithTheSessionPathAndHostKept()
    {
        using SessionUser alice = await portal.SignInAsync("alice");
        SessionTarget s = OwnedBy(alice);

        using HttpResponseMessage response = await alice.Http.GetAsync(s.PathPrefix + "tree?x=1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement seen = await SeenAsync(response);
        Assert.Equal(s.PathPrefix + "tree", seen.GetProperty("path").GetString());
        Assert.Equal("?x=1", seen.GetProperty("query").GetString());
        Assert.Equal(portal.BaseAddress.Authority, seen.GetProperty("headers").GetProperty("Host").GetString());
    }

    [Fact]
    public async Task AnAppThatServesFromTheRoot_GetsThePathAfterThePrefix()
    {
        using SessionUser alice = await portal.SignInAsync("alice");
        SessionTarget s = OwnedBy(alice, SessionPathMode.StripPrefix);

        JsonElement deep = await SeenAsync(await alice.Http.GetAsync(s.PathPrefix + "static/app.js"));
        JsonElement top = await SeenAsync(await alice.Http.GetAsync(s.PathPrefix));

        Assert.Equal("/static/app.js", deep.GetProperty("path").GetString());
        Assert.Equal("/", top.GetProperty("path").GetString());
    }

    [Fact]
    public async Task TheSessionPathWithoutItsSlash_RedirectsToIt()
    {
        using SessionUser alice = await portal.SignInAsync("alice");
        SessionTarget s = OwnedBy(alice);

        using HttpResponseMessage response = await alice.Http.GetAsync(s.PathPrefix.TrimEnd('/'));

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(s.PathPrefix, response.Headers.Location?.OriginalString);
    }

    [Fact]
    public async Task AnotherUser_AndAnAdmin_Get404_AsForAJobThatDoesNotExist()
    {
        using SessionUser alice = await portal.SignInAsync("alice");
        using SessionUser bob = await portal.SignInAsync("bob");
        using SessionUser admin = await portal.SignInAsync("admin", admin: true);
        SessionTarget s = OwnedBy(alice);

        using HttpResponseMessage bobs = await bob.Http.GetAsync(s.PathPrefix);
        using HttpResponseMessage admins = await admin.Http.GetAsync(s.PathPrefix + "api/status");
        using HttpResponseMessage bobsPost = await bob.Http.PostAsync(s.PathPrefix + "api/contents", new StringContent("{}"));
        using HttpResponseMessage unknown = await alice.Http.GetAsync("/s/123456789/");

        Assert.Equal(HttpStatusCode.NotFound, bobs.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, admins.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, bobsPost.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task ASignedOutVisitor_IsSentToSignIn_AndReachesNothing()
    {
        using SessionUser alice = await portal.SignInAsync("alice");
        SessionTarget s = OwnedBy(alice);
        using var anonymous = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = portal.BaseAddress };

        using HttpResponseMessage response = await anonymous.GetAsync(s.PathPrefix);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.RedirectPath(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAppServedByAnotherUid_IsRefused_AndSoIsASymlinkToIt()
    {
        using SessionUser alice = await portal.SignInAsync("alice");
        // The session claims alice's uid, but the process behind the socket is the stranger's: a symlink swap.
        SessionTarget direct = portal.Targets.Add(alice.Id, SessionApps.OwnerUid, apps.Stranger.SocketPath);
        string link = Path.Combine(apps.Folder.Root, "swapped-" + Guid.NewGuid().ToString("N")[..6] + ".sock");
        File.CreateSymbolicLink(link, apps.Stranger.SocketPath);
        SessionTarget swapped = portal.Targets.Add(alice.Id, SessionApps.OwnerUid, link);

        using HttpResponseMessage first = await alice.Http.GetAsync(direct.PathPrefix);
        using HttpResponseMessage second = await alice.Http.GetAsync(swapped.PathPrefix);

        Assert.Equal(HttpStatusCode.BadGateway, first.StatusCode);
        Assert.Equal(HttpStatusCode.BadGateway, second.StatusCode);
        Assert.DoesNotContain("\"path\"", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ThePortalsCookiesAndAuthorization_NeverReachTheApp_ButTheAppsOwnCookiesDo()
    {
        using SessionUser alice = await portal.SignInAsync("alice");
        SessionTarget s = OwnedBy(alice);
        alice.Cookies.Add(portal.BaseAddress, new Cookie("_xsrf", "2|abc|def|123"));
        alice.Cookies.Add(portal.BaseAddress, new Cookie("portal.antiforgery.extra", "x"));
        using var request = new HttpRequestMessage(HttpMethod.Get, s.PathPrefix + "echo");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "gpp_secret");
        request.Headers.Add("X-Forwarded-For", "10.0.0.9");

        JsonElement headers = (await SeenAsync(await alice.Http.SendAsync(request))).GetProperty("headers");

        string cookie = headers.TryGetProperty("Cookie", out JsonElement c) ? c.GetString()! : "";
        Assert.Contains("_xsrf=2|abc|def|123", cookie, StringComparison.Ordinal);
        Assert.DoesNotContain("portal.", cookie, StringComparison.Ordinal);
        Assert.False(headers.TryGetProperty("Authorization", out _));
        Assert.False(headers.TryGetProperty("X-Forwarded-For", out _));
    }

    [Fact]
    public async Task AnApp_CannotSetThePortalsCookies_ButCanSetItsOwn()
    {
        using SessionUser alice = await portal.SignInAsync("alice");
        SessionTarget s = OwnedBy(alice);
        string ask = "?set-cookie=" + Uri.EscapeDataString("portal.session=forged; Path=/")
            + "&set-cookie=" + Uri.EscapeDataString("username-app=me; Path=" + s.PathPrefix);

        using HttpResponseMessage response = await alice.Http.GetAsync(s.PathPrefix + ask);

        // The portal renews its own session cookie on the way out; the app's forged one is gone.
        string[] set = [.. response.Headers.GetValues("Set-Cookie")];
        Assert.DoesNotContain(set, c => c.Contains("forged", StringComparison.Ordinal));
        Assert.Contains(set, c => c.StartsWith("username-app=me", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ThePortalsPagePolicy_DoesNotConstrainTheApp()
    {
        using SessionUser alice = await portal.SignInAsync("alice");
        SessionTarget s = OwnedBy(alice);

        using HttpResponseMessage page = await alice.Http.GetAsync(s.PathPrefix);

        Assert.False(page.Headers.Contains("Content-Security-Policy"));
        Assert.Equal("SAMEORIGIN", page.Headers.GetValues("X-Frame-Options").Single());
    }

    [Fact]
    public async Task ACrossOriginPost_Gets403_WhileASameOriginPostPasses()
    {
        using SessionUser alice = await portal.SignInAsync("alice");
        SessionTarget s = OwnedBy(alice);

        using HttpResponseMessage evil = await PostAsync(alice, s.PathPrefix + "api/terminals", origin: "https://evil.example");
        using HttpResponseMessage sibling = await PostAsync(alice, s.PathPrefix + "api/terminals", origin: portal.Origin.Replace("127.0.0.1", "localhost", StringComparison.Ordinal));
        using HttpResponseMessage crossSite = await PostAsync(alice, s.PathPrefix + "api/terminals", origin: null, fetchSite: "cross-site");
        using HttpResponseMessage same = await PostAsync(alice, s.PathPrefix + "api/terminals", origin: portal.Origin);

        Assert.Equal(HttpStatusCode.Forbidden, evil.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, sibling.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        Assert.Equal(HttpStatusCode.OK, same.StatusCode);
    }

    [Fact]
    public async Task AWebSocket_EchoesThroughTheProxy_AndItsMessagesMarkTheSessionActive()
    {
        using SessionUser alice = await portal.SignInAsync("alice");
        SessionTarget s = OwnedBy(alice);
        ISessionTrafficSource traffic = portal.Services.GetRequiredService<ISessionTrafficSource>();

        using ClientWebSocket ws = await ConnectAsync(alice, s.PathPrefix + "api/kernels/k1/channels", portal.Origin);
        Assert.Equal(1, traffic.Traffic(s.JobId)!.OpenWebSockets);
        Assert.Null(traffic.Traffic(s.JobId)!.LastWebSocketMessageAt);
        string echoed = await EchoAsync(ws, "{\"msg_type\":\"execute_request\"}");
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);

        Assert.Equal("{\"msg_type\":\"execute_request\"}", echoed);
        Assert.NotNull(traffic.Traffic(s.JobId)!.LastWebSocketMessageAt);
        await Eventually.UntilAsync(() => Task.FromResult(traffic.Traffic(s.JobId)!.OpenWebSockets), n => n == 0, TimeSpan.FromSeconds(10), "the closed WebSocket to be no longer counted");
    }

    [Fact]
    public async Task ACrossOriginWebSocket_Gets403_AndSoDoesOneWithoutOrigin()
    {
        using SessionUser alice = await portal.SignInAsync("alice");
        SessionTarget s = OwnedBy(alice);

        WebSocketException evil = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(alice, s.PathPrefix + "ws", "https://evil.example"));
        WebSocketException none = await Assert.ThrowsAsync<WebSocketException>(() => ConnectAsync(alice, s.PathPrefix + "ws", origin: null));

        Assert.Contains("403", evil.Message, StringComparison.Ordinal);
        Assert.Contains("403", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AFortyMegabyteUpload_PassesWhole()
    {
        using SessionUser alice = await portal.SignInAsync("alice");
        SessionTarget s = OwnedBy(alice);
        byte[] file = new byte[40 * 1024 * 1024];
        Random.Shared.NextBytes(file);
        // Jupyter's contents API sends a file as base64 inside JSON: a third bigger than the file.
        byte[] body = Encoding.ASCII.GetBytes("{\"type\":\"file\",\"format\":\"base64\",\"content\":\"" + Convert.ToBase64String(file) + "\"}");

        using HttpResponseMessage response = await PostAsync(alice, s.PathPrefix + "api/contents/big.bin", portal.Origin, content: body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        JsonElement received = await SeenAsync(response);
        Assert.Equal(body.LongLength, received.GetProperty("bytes").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body)), received.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task SigningOut_ClosesTheUsersOpenWebSockets_AtOnce()
    {
        using SessionUser alice = await portal.SignInAsync("alice");
        SessionTarget s = OwnedBy(alice);
        using ClientWebSocket ws = await ConnectAsync(alice, s.PathPrefix + "terminals/websocket/1", portal.Origin);
        Assert.Equal("before", await EchoAsync(ws, "before"));

        using HttpResponseMessage signOut = await alice.Client.PostFormAsync("/account/logout", null, [], tokenFrom: "/");

        Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        await AssertClosedAsync(ws);
        using HttpResponseMessage after = await alice.Http.GetAsync(s.PathPrefix);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task DisablingTheUser_ClosesTheirOpenWebSockets_AtOnce()
    {
        using SessionUser alice = await portal.SignInAsync("alice");
        using SessionUser admin = await portal.SignInAsync("admin", admin: true);
        SessionTarget s = OwnedBy(alice);
        using ClientWebSocket ws = await ConnectAsync(alice, s.PathPrefix + "api/kernels/k2/channels", portal.Origin);

        await using (AsyncServiceScope scope = portal.Services.CreateAsyncScope())
        {
            AdminResult disabled = await scope.ServiceProvider.GetRequiredService<UserAdministration>()
                .DisableAsync(new AuditActor(admin.Id, "admin"), alice.Id, CancellationToken.None);
            Assert.True(disabled.Succeeded, disabled.Message);
        }

        await AssertClosedAsync(ws);
    }

    private SessionTarget OwnedBy(SessionUser user, SessionPathMode mode = SessionPathMode.KeepPrefix) =>
        portal.Targets.Add(user.Id, SessionApps.OwnerUid, apps.Owner.SocketPath, mode);

    private static async Task<JsonElement> SeenAsync(HttpResponseMessage response)
    {
        using (response)
        {
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"{response.StatusCode} {response.Headers.Location} {await response.Content.ReadAsStringAsync()}");
            return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        }
    }

    private static async Task<HttpResponseMessage> PostAsync(SessionUser user, string path, string? origin, string? fetchSite = null, byte[]? content = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(content ?? "{}"u8.ToArray()) };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        if (fetchSite is not null)
        {
            request.Headers.Add("Sec-Fetch-Site", fetchSite);
        }

        return await user.Http.SendAsync(request);
    }

    private async Task<ClientWebSocket> ConnectAsync(SessionUser user, string path, string? origin)
    {
        var ws = new ClientWebSocket();
        ws.Options.Cookies = user.Cookies;
        if (origin is not null)
        {
            ws.Options.SetRequestHeader("Origin", origin);
        }

        var uri = new UriBuilder(new Uri(portal.BaseAddress, path)) { Scheme = "ws" }.Uri;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await ws.ConnectAsync(uri, timeout.Token);
            return ws;
        }
        catch
        {
            ws.Dispose();
            throw;
        }
    }

    private static async Task<string> EchoAsync(ClientWebSocket ws, string text)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, endOfMessage: true, timeout.Token);
        byte[] buffer = new byte[4096];
        WebSocketReceiveResult received = await ws.ReceiveAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, received.Count);
    }

    /// <summary>The WebSocket ends (aborted, or closed) within seconds, without the client doing anything.</summary>
    private static async Task AssertClosedAsync(ClientWebSocket ws)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            WebSocketReceiveResult result = await ws.ReceiveAsync(new byte[256], timeout.Token);
            Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        }
        catch (WebSocketException)
        {
            // Aborted: the connection was cut without a close frame, which is how the proxy ends it.
        }

        Assert.False(timeout.IsCancellationRequested, "the WebSocket stayed open");
    }
}
