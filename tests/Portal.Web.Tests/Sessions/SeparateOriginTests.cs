using System.Net;
using Microsoft.AspNetCore.Hosting;

namespace Portal.Web.Tests.Sessions;

/// <summary>The portal with <c>Portal:Sessions:Origin</c> set: sessions on a host of their own.</summary>
public sealed class SeparateOriginPortal : SessionProxyPortal
{
    public const string SessionsHost = "sessions.gpu.test";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Portal:Sessions:Origin", "http://" + SessionsHost);
    }
}

/// <summary>With a separate sessions origin, a session's pages cannot reach the portal's, and sessions live only there.</summary>
public sealed class SeparateOriginTests(SeparateOriginPortal portal) : IClassFixture<SeparateOriginPortal>
{
    [Theory]
    [InlineData("/")]
    [InlineData("/jobs")]
    [InlineData("/api/v1/jobs")]
    [InlineData("/admin/users")]
    public async Task OnTheSessionsHost_ThePortalsPagesAndApiAreNotServed(string path)
    {
        using HttpResponseMessage response = await SendAsync(path, SeparateOriginPortal.SessionsHost);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task OnTheSessionsHost_SigningInIsServed()
    {
        using HttpResponseMessage response = await SendAsync("/account/login", SeparateOriginPortal.SessionsHost);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task OnThePortalsHost_ASessionPath_RedirectsToTheSessionsOrigin()
    {
        using HttpResponseMessage response = await SendAsync("/s/42/tree?x=1", host: null);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("http://" + SeparateOriginPortal.SessionsHost + "/s/42/tree?x=1", response.Headers.Location?.ToString());
    }

    private async Task<HttpResponseMessage> SendAsync(string path, string? host)
    {
        using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = portal.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        return await client.SendAsync(request);
    }
}
