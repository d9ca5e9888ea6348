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

        string page = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Wrong user name or password", page, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", page, StringComparison.Ordinal);
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
    public async Task Five_wrong_passwords_from_one_address_stop_that_address_but_not_the_owner_elsewhere()
    {
        string name = TestNames.Unique("lockout");
        await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient guesser = portal.CreatePortalClient();
        using PortalClient owner = portal.CreatePortalClient();
        owner.Http.DefaultRequestHeaders.Add(RemoteAddressStartupFilter.TestClientHeader, "192.0.2.10");

        for (int i = 0; i < 5; i++)
        {
            using HttpResponseMessage _ = await guesser.LoginAsync(name, $"wrong-{i}");
        }

        using HttpResponseMessage stopped = await guesser.LoginAsync(name, TestNames.Password);
        using HttpResponseMessage elsewhere = await owner.LoginAsync(name, TestNames.Password);

        Assert.Equal(HttpStatusCode.OK, stopped.StatusCode);
        Assert.Contains("Too many failed attempts", await stopped.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await guesser.Http.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, elsewhere.StatusCode);
        Assert.Equal("/", elsewhere.RedirectPath());
        Assert.True(await portal.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.ActorName == name && e.Action == AuditActions.LoginThrottled)));
        Assert.Null(await portal.WithDbAsync(db => db.Users.Where(u => u.UserName == name).Select(u => u.LockoutEnd).SingleAsync()));
    }

    [Fact]
    public async Task A_disabled_account_is_not_revealed_by_a_wrong_password()
    {
        string name = TestNames.Unique("disabled");
        var user = await portal.CreateUserAsync(name, TestNames.Password);
        await portal.WithDbAsync(db => db.Users.Where(u => u.Id == user.Id).ExecuteUpdateAsync(s => s.SetProperty(u => u.IsDisabled, true)));
        using PortalClient client = portal.CreatePortalClient();
        client.Http.DefaultRequestHeaders.Add(RemoteAddressStartupFilter.TestClientHeader, "192.0.2.11");

        using HttpResponseMessage wrong = await client.LoginAsync(name, "not-the-password");
        using HttpResponseMessage right = await client.LoginAsync(name, TestNames.Password);

        Assert.Contains("Wrong user name or password", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("account is disabled", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("This account is disabled", await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_user_and_a_wrong_password_are_answered_after_the_same_floor()
    {
        string name = TestNames.Unique("timing");
        await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient client = portal.CreatePortalClient();
        client.Http.DefaultRequestHeaders.Add(RemoteAddressStartupFilter.TestClientHeader, "192.0.2.12");
        List<double> unknown = [], wrong = [];

        for (int i = 0; i < 3; i++)
        {
            unknown.Add(await TimeLoginAsync(client, TestNames.Unique("nobody"), "a-guess"));
            wrong.Add(await TimeLoginAsync(client, name, $"a-guess-{i}"));
        }

        double unknownMedian = unknown.Order().ElementAt(1), wrongMedian = wrong.Order().ElementAt(1);
        Assert.True(unknownMedian >= 1.2 && wrongMedian >= 1.2, $"answered before the 1.25 s floor: {unknownMedian:0.000} s, {wrongMedian:0.000} s");
        Assert.True(Math.Abs(unknownMedian - wrongMedian) < 0.25, $"unknown user {unknownMedian:0.000} s, wrong password {wrongMedian:0.000} s");
    }

    private static async Task<double> TimeLoginAsync(PortalClient client, string name, string password)
    {
        // The token comes first: only the sign-in itself is timed.
        string token = await client.GetAntiforgeryTokenAsync("/account/login");
        using var form = new FormUrlEncodedContent(
            [new("Input.UserName", name), new("Input.Password", password), new("_handler", "login"), new("__RequestVerificationToken", token)]);
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        using HttpResponseMessage response = await client.Http.PostAsync("/account/login", form);
        double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
        Assert.Contains("Wrong user name or password", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        return seconds;
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
