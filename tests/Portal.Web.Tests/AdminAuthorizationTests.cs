using System.Net;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests;

public sealed class AdminAuthorizationTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    public static TheoryData<string> AdminPages =>
    [
        "/admin/users", "/admin/audit", "/admin/gpus", "/admin/quotas", "/admin/jobs", "/admin/usage",
        "/admin/usage.csv?from=2026-01-01&to=2026-01-31",
    ];

    [Theory]
    [MemberData(nameof(AdminPages))]
    public async Task Anonymous_visitor_is_sent_to_the_login_page(string path)
    {
        using PortalClient client = portal.CreatePortalClient();

        using HttpResponseMessage response = await client.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.RedirectPath(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(AdminPages))]
    public async Task Signed_in_user_without_the_admin_role_gets_403(string path)
    {
        string name = TestNames.Unique("plain");
        await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage _ = await client.LoginAsync(name, TestNames.Password);

        using HttpResponseMessage response = await client.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(AdminPages))]
    public async Task Admin_can_open_the_admin_pages(string path)
    {
        string name = TestNames.Unique("boss");
        await portal.CreateUserAsync(name, TestNames.Password, admin: true);
        using PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage _ = await client.LoginAsync(name, TestNames.Password);

        using HttpResponseMessage response = await client.Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task User_posting_an_admin_form_with_a_valid_token_is_still_forbidden()
    {
        string name = TestNames.Unique("sneaky");
        await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage _ = await client.LoginAsync(name, TestNames.Password);

        using HttpResponseMessage response = await client.PostFormAsync(
            "/admin/users", "create-user",
            [new("NewUser.UserName", "evil"), new("NewUser.LinuxUserName", "root")],
            tokenFrom: "/");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }
}
