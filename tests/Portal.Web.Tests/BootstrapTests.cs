using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests;

public sealed class BootstrapTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task An_empty_database_gets_exactly_one_admin_whose_one_time_password_is_shown_once()
    {
        var shown = Assert.Single(portal.Secrets.Shown);
        Assert.Equal(FirstRunBootstrap.FirstAdminName, shown.UserName);
        int admins = await portal.WithDbAsync(db =>
            (from u in db.Users
             join ur in db.UserRoles on u.Id equals ur.UserId
             join r in db.Roles on ur.RoleId equals r.Id
             where r.Name == Roles.Admin
             select u).CountAsync());
        Assert.Equal(1, admins);
        Assert.True(await portal.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.Action == AuditActions.BootstrapAdmin)));

        using PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage login = await client.LoginAsync(shown.UserName, shown.Password);

        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        Assert.Equal("/account/change-password", login.RedirectPath());
        using HttpResponseMessage admin = await client.Http.GetAsync("/admin/users");
        Assert.Equal("/account/change-password", admin.RedirectPath());
    }

    [Fact]
    public async Task The_forced_password_change_page_gets_its_stylesheet_and_shows_no_menu()
    {
        var shown = Assert.Single(portal.Secrets.Shown);
        using PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage login = await client.LoginAsync(shown.UserName, shown.Password);

        string page = await client.Http.GetStringAsync("/account/change-password");
        Match stylesheet = Regex.Match(page, "<link rel=\"stylesheet\" href=\"(?<href>[^\"]+)\"");
        Assert.True(stylesheet.Success, "the page links no stylesheet");
        using HttpResponseMessage css = await client.Http.GetAsync(new Uri(stylesheet.Groups["href"].Value, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal("text/css", css.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("aria-label=\"Main\"", page, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"/jobs/new\"", page, StringComparison.Ordinal);
    }
}
