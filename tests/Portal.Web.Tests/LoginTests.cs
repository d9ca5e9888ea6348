using System.Net;
using Microsoft.EntityFrameworkCore;
using Portal.Web.Services.Audit;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests;

public sealed class LoginTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Login_with_the_right_password_signs_in_and_is_audited_with_the_address()
    {
        string name = TestNames.Unique("login-ok");
        await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient client = portal.CreatePortalClient();

        using HttpResponseMessage response = await client.LoginAsync(name, TestNames.Password);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.RedirectPath());
        string home = await client.PageAsync("/");
        Assert.Contains($"Welcome, {name}", home, StringComparison.Ordinal);
        var row = await portal.WithDbAsync(db => db.AuditEvents.SingleAsync(e => e.ActorName == name && e.Action == AuditActions.LoginSucceeded));
        Assert.True(row.Succeeded);
        Assert.Equal(RemoteAddressStartupFilter.ClientAddress.ToString(), row.RemoteAddress);
    }

    [Fact]
    public async Task Login_with_a_wrong_password_is_refused_and_audited()
    {
        string name = TestNames.Unique("login-bad");
        await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient client = portal.CreatePortalClient();

        using HttpResponseMessage response = await client.LoginAsync(name, "not-the-password");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Wrong user name or password", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await client.Http.GetAsync("/")).StatusCode);
        int failures = await portal.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.ActorName == name && e.Action == AuditActions.LoginFailed && !e.Succeeded));
        Assert.Equal(1, failures);
    }

    [Fact]
    public async Task Login_of_an_unknown_user_gives_the_same_answer_as_a_wrong_password()
    {
        string name = TestNames.Unique("nobody-here");
        using PortalClient client = portal.CreatePortalClient();

        using HttpResponseMessage response = await client.LoginAsync(name, "whatever-password");

        Assert.Contains("Wrong user name or password", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, await portal.WithDbAsync(db => db.AuditEvents.CountAsync(e => e.ActorName == name && e.Action == AuditActions.LoginFailed)));
    }

    [Fact]
    public async Task Five_wrong_passwords_lock_the_account_even_against_the_right_one()
    {
        string name = TestNames.Unique("lockout");
        await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient client = portal.CreatePortalClient();

        for (int i = 0; i < 5; i++)
        {
            using HttpResponseMessage _ = await client.LoginAsync(name, $"wrong-{i}");
        }

        using HttpResponseMessage response = await client.LoginAsync(name, TestNames.Password);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("locked", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await client.Http.GetAsync("/")).StatusCode);
        Assert.True(await portal.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.ActorName == name && e.Action == AuditActions.LoginLockedOut)));
    }

    [Fact]
    public async Task Login_form_without_an_antiforgery_token_is_rejected()
    {
        string name = TestNames.Unique("no-token");
        await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient client = portal.CreatePortalClient();

        using HttpResponseMessage response = await client.LoginAsync(name, TestNames.Password, withToken: false);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(await portal.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.ActorName == name)));
    }

    [Fact]
    public async Task Logout_ends_the_session_and_needs_a_token()
    {
        string name = TestNames.Unique("logout");
        await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage _ = await client.LoginAsync(name, TestNames.Password);

        using HttpResponseMessage forged = await client.PostFormAsync("/account/logout", null, [], withToken: false);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.Http.GetAsync("/")).StatusCode);

        using HttpResponseMessage logout = await client.PostFormAsync("/account/logout", null, [], tokenFrom: "/");

        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await client.Http.GetAsync("/")).StatusCode);
        Assert.True(await portal.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.ActorName == name && e.Action == AuditActions.Logout)));
    }

    [Fact]
    public async Task Responses_carry_the_security_headers()
    {
        using PortalClient client = portal.CreatePortalClient();

        using HttpResponseMessage response = await client.Http.GetAsync("/account/login");

        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cookie_keys_are_kept_in_a_private_folder_of_the_data_directory()
    {
        using PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage _ = await client.Http.GetAsync("/account/login");

        string keys = Path.Combine(portal.DataDirectory, "keys");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(keys));
        Assert.NotEmpty(Directory.GetFiles(keys, "key-*.xml"));
    }

    [Fact]
    public async Task Stylesheet_and_Blazor_script_referenced_by_pages_are_served()
    {
        using PortalClient client = portal.CreatePortalClient();
        string page = await client.PageAsync("/account/login");
        string stylesheet = System.Text.RegularExpressions.Regex.Match(page, "href=\"(app[^\"]*\\.css)\"").Groups[1].Value;

        using HttpResponseMessage css = await client.Http.GetAsync("/" + stylesheet);
        using HttpResponseMessage script = await client.Http.GetAsync("/_framework/blazor.web.js");

        Assert.Equal(HttpStatusCode.OK, css.StatusCode);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }
}
