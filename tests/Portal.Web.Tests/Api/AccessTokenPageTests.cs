using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Portal.Data.Tokens;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Api;

public sealed partial class AccessTokenPageTests(ApiPortalFactory portal) : IClassFixture<ApiPortalFactory>
{
    [Fact]
    public async Task A_token_created_on_the_page_is_shown_once_works_and_stops_working_when_revoked()
    {
        var name = TestNames.Unique("api-page");
        var user = await portal.CreateUserAsync(name, TestNames.Password);
        using var browser = portal.CreatePortalClient();
        using (var login = await browser.LoginAsync(name, TestNames.Password))
        {
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        }

        Assert.Contains("href=\"/account/tokens\"", await browser.PageAsync("/"), StringComparison.Ordinal);
        using var created = await browser.PostFormAsync("/account/tokens", "create-token",
            [new("Input.Name", "laptop"), new("Input.ExpiresInDays", "30"), new("Input.JobsRead", "true")]);
        var page = await created.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.True(created.Headers.CacheControl?.NoStore, $"Cache-Control: {created.Headers.CacheControl}");
        var token = TokenPattern().Match(page).Groups[1].Value;
        Assert.StartsWith("gpp_", token, StringComparison.Ordinal);

        using var api = portal.ApiClient(token);
        using (var allowed = await api.GetAsync("/api/v1/jobs"))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        var list = await browser.PageAsync("/account/tokens");
        Assert.DoesNotContain(token, list, StringComparison.Ordinal);
        Assert.Contains("laptop", list, StringComparison.Ordinal);
        var stored = (await portal.Tokens.ListAsync(user.Id)).Single();
        Assert.Equal(["jobs:read"], stored.Scopes);
        Assert.InRange(stored.ExpiresAt - stored.CreatedAt, TimeSpan.FromDays(30) - TimeSpan.FromMinutes(1), TimeSpan.FromDays(30) + TimeSpan.FromMinutes(1));

        using var revoked = await browser.PostFormAsync("/account/tokens", "revoke-token", [new("RevokeId", stored.Id.ToString(System.Globalization.CultureInfo.InvariantCulture))]);
        Assert.Contains("The token is revoked.", await revoked.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var refused = await api.GetAsync("/api/v1/jobs");
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized);
        var hash = ApiTokenSecret.Hash(token);
        Assert.NotNull(await portal.WithDbAsync(db => db.ApiTokens.AsNoTracking().Where(t => t.SecretHash == hash).Select(t => t.RevokedAt).SingleAsync()));
    }

    [Fact]
    public async Task The_admin_scope_is_not_offered_to_users_and_is_refused_if_posted()
    {
        var name = TestNames.Unique("api-page-user");
        var user = await portal.CreateUserAsync(name, TestNames.Password);
        using var browser = portal.CreatePortalClient();
        using (var login = await browser.LoginAsync(name, TestNames.Password))
        {
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        }

        Assert.DoesNotContain("scope-admin", await browser.PageAsync("/account/tokens"), StringComparison.Ordinal);
        using var posted = await browser.PostFormAsync("/account/tokens", "create-token",
            [new("Input.Name", "escalate"), new("Input.ExpiresInDays", "7"), new("Input.Admin", "true")]);

        Assert.Contains("Only administrators can create tokens with the admin scope.", WebUtility.HtmlDecode(await posted.Content.ReadAsStringAsync()), StringComparison.Ordinal);
        Assert.Empty(await portal.Tokens.ListAsync(user.Id));
    }

    [GeneratedRegex("id=\"new-token\">(gpp_[A-Za-z0-9_-]+)<")]
    private static partial Regex TokenPattern();
}
