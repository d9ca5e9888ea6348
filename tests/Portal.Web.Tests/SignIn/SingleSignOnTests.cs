using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Portal.Web.Services.Audit;
using Portal.Web.Tests.Infrastructure;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.SignIn;

/// <summary>
/// Single sign-on against a real OpenID Connect provider started by the test (OpenIddict): the whole authorization code
/// flow with PKCE, followed redirect by redirect as a browser would, the claim mapped to a real Linux account, and a
/// claim that names no eligible account refused with a page that says so.
/// </summary>
[Collection(JobHostGroup.Name)]
public sealed class SingleSignOnTests(JobHostFixture fixture) : IAsyncLifetime
{
    private TestIdentityProvider _idp = null!;
    private SingleSignOnPortal _portal = null!;

    public async Task InitializeAsync()
    {
        _idp = await TestIdentityProvider.StartAsync(new Uri("http://localhost/account/sso/callback"));
        _portal = new SingleSignOnPortal(_idp.Issuer);
        await _portal.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)_portal).DisposeAsync();
        await _idp.DisposeAsync();
    }

    [Fact]
    public async Task A_claim_naming_an_eligible_Linux_account_signs_in_and_binds_the_subject()
    {
        _idp.NextUser = ("sub-alice-1", fixture.Alice.Name);
        using PortalClient browser = _portal.CreatePortalClient();

        HttpResponseMessage landed = await FollowAsync(browser, "/account/sso");

        Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
        Assert.Equal("/", landed.RequestMessage!.RequestUri!.AbsolutePath);
        Assert.Contains($"Welcome, {fixture.Alice.Name}", await landed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var account = await _portal.WithDbAsync(db => db.Users.SingleAsync(u => u.LinuxUserName == fixture.Alice.Name));
        Assert.Equal((long?)fixture.Alice.Uid, account.LinuxUid);
        Assert.True(await _portal.WithDbAsync(db => db.UserLogins.AnyAsync(l => l.UserId == account.Id && l.ProviderKey == "sub-alice-1")));

        // The subject is bound now: a second sign-in finds the same account, whatever the claim says.
        _idp.NextUser = ("sub-alice-1", "renamed-at-the-provider");
        using PortalClient again = _portal.CreatePortalClient();
        HttpResponseMessage second = await FollowAsync(again, "/account/sso");
        Assert.Contains($"Welcome, {fixture.Alice.Name}", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await _portal.WithDbAsync(db => db.Users.CountAsync(u => u.LinuxUserName == fixture.Alice.Name)));
    }

    [Theory]
    [InlineData("pweb-nobody-here")]
    [InlineData("daemon")]
    public async Task A_claim_naming_no_eligible_account_ends_on_a_refusal_page(string claimed)
    {
        _idp.NextUser = ("sub-" + claimed, claimed);
        using PortalClient browser = _portal.CreatePortalClient();

        HttpResponseMessage landed = await FollowAsync(browser, "/account/sso");

        Assert.Equal("/account/sso/refused", landed.RequestMessage!.RequestUri!.AbsolutePath);
        string page = await landed.Content.ReadAsStringAsync();
        Assert.Contains($"The Linux account &#x27;{claimed}&#x27; cannot use the portal", page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await browser.Http.GetAsync("/")).StatusCode);
        Assert.True(await _portal.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.Action == AuditActions.LoginSingleSignOn && !e.Succeeded && e.Target == claimed)));
    }

    /// <summary>GETs <paramref name="path"/> on the portal and follows redirects across the portal and the provider.</summary>
    private async Task<HttpResponseMessage> FollowAsync(PortalClient browser, string path)
    {
        using var provider = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = true });
        var current = new Uri(browser.Http.BaseAddress!, path);
        for (int hop = 0; hop < 12; hop++)
        {
            HttpClient client = current.Authority == _idp.Issuer.Authority ? provider : browser.Http;
            HttpResponseMessage response = await client.GetAsync(current);
            if ((int)response.StatusCode >= 500)
            {
                throw new InvalidOperationException($"{(int)response.StatusCode} at {current}: {await response.Content.ReadAsStringAsync()}");
            }

            if (response.StatusCode is not (HttpStatusCode.Redirect or HttpStatusCode.Found or HttpStatusCode.SeeOther))
            {
                return response;
            }

            current = new Uri(current, response.Headers.Location!);
            response.Dispose();
        }

        throw new InvalidOperationException($"Too many redirects, last at {current}.");
    }

    /// <summary>The portal with single sign-on through the test's provider, mapping preferred_username to the fixture's group.</summary>
    private sealed class SingleSignOnPortal(Uri issuer) : PortalFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("Portal:Oidc:Authority", issuer.ToString());
            builder.UseSetting("Portal:Oidc:ClientId", TestIdentityProvider.ClientId);
            builder.UseSetting("Portal:Oidc:RequireHttpsMetadata", "false");
            builder.UseSetting("Portal:Oidc:JobGroup", JobHostFixture.Group);
        }
    }
}
