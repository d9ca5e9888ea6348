using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data.Entities;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.SignIn;

/// <summary>
/// The session cookie is checked on every request but not re-issued on every response. A fresh cookie on every
/// response meant that a response still in flight when someone signed out (or a browser dropped its cookies) put the
/// session back; a browser test saw exactly that, and its antiforgery token then belonged to "another user".
/// </summary>
public sealed class SessionCookieTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task A_signed_in_request_is_answered_without_a_new_session_cookie()
    {
        string name = TestNames.Unique("cookie");
        await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage login = await client.LoginAsync(name, TestNames.Password);
        Assert.Contains(SetCookies(login), c => c.StartsWith("portal.session=", StringComparison.Ordinal));

        foreach (string path in new[] { "/", "/jobs", "/account/security" })
        {
            using HttpResponseMessage page = await client.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.DoesNotContain(SetCookies(page), c => c.StartsWith("portal.session=", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_role_taken_away_still_applies_on_the_very_next_request()
    {
        string name = TestNames.Unique("demoted");
        PortalUser user = await portal.CreateUserAsync(name, TestNames.Password, admin: true);
        using PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage _ = await client.LoginAsync(name, TestNames.Password);
        using (HttpResponseMessage before = await client.Http.GetAsync("/admin/users"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await using (AsyncServiceScope scope = portal.Services.CreateAsyncScope())
        {
            AdminResult result = await scope.ServiceProvider.GetRequiredService<UserAdministration>()
                .SetAdminAsync(new AuditActor(null, "test-admin"), user.Id, isAdmin: false, CancellationToken.None);
            Assert.True(result.Succeeded, result.Message);
        }

        using HttpResponseMessage after = await client.Http.GetAsync("/admin/users");
        Assert.NotEqual(HttpStatusCode.OK, after.StatusCode);
    }

    private static IEnumerable<string> SetCookies(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Set-Cookie", out IEnumerable<string>? values) ? values : [];
}
