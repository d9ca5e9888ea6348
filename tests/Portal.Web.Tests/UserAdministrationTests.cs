using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Portal.Data.Entities;
using Portal.Web.Services.Audit;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests;

public sealed partial class UserAdministrationTests(PortalFactory portal) : IClassFixture<PortalFactory>
{
    [Fact]
    public async Task Admin_creates_a_user_bound_to_a_Linux_account_who_then_signs_in_and_must_change_the_password()
    {
        await using var linuxAccount = await TestLinuxUsers.HoldAsync("ptest-web-carol");
        using PortalClient admin = await SignedInAdminAsync();
        string name = TestNames.Unique("carol");

        using HttpResponseMessage created = await CreateUserAsync(admin, name, "ptest-web-carol");

        string page = await created.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, created.StatusCode);
        Assert.Contains("running jobs as &#x27;ptest-web-carol&#x27;", page, StringComparison.Ordinal);
        string oneTimePassword = SecretPattern().Match(page).Groups[1].Value;
        Assert.Equal(20, oneTimePassword.Length);
        PortalUser stored = await portal.WithDbAsync(db => db.Users.SingleAsync(u => u.UserName == name));
        Assert.Equal("ptest-web-carol", stored.LinuxUserName);
        Assert.Equal((await portal.FindLinuxAccountAsync("ptest-web-carol"))!.Uid, (uint)stored.LinuxUid!.Value);

        using PortalClient carol = portal.CreatePortalClient();
        using HttpResponseMessage login = await carol.LoginAsync(name, oneTimePassword);
        Assert.Equal("/account/change-password", login.RedirectPath());
        using HttpResponseMessage gated = await carol.Http.GetAsync("/");
        Assert.Equal("/account/change-password", gated.RedirectPath());

        using HttpResponseMessage changed = await carol.PostFormAsync("/account/change-password", "change-password",
        [
            new("Input.CurrentPassword", oneTimePassword),
            new("Input.NewPassword", TestNames.Password),
            new("Input.ConfirmPassword", TestNames.Password),
        ]);
        Assert.Equal(HttpStatusCode.Redirect, changed.StatusCode);
        Assert.Contains("ptest-web-carol", await carol.PageAsync("/"), StringComparison.Ordinal);
        Assert.True(await portal.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.Action == AuditActions.UserCreated && e.Target == name && e.Succeeded)));
    }

    [Theory]
    [InlineData("root", "UID 0")]
    [InlineData("daemon", "system account")]
    [InlineData("nobody", "overflow UID")]
    [InlineData("ptest-no-such-user", "no Linux account named")]
    [InlineData("Root", "lowercase")]
    [InlineData("#0", "must start with")]
    [InlineData("1000", "must start with")]
    [InlineData("a;id", "may contain only")]
    public async Task Binding_to_an_unusable_Linux_account_is_refused_with_a_clear_error(string linuxUser, string expected)
    {
        using PortalClient admin = await SignedInAdminAsync();
        string name = TestNames.Unique("refused");

        using HttpResponseMessage response = await CreateUserAsync(admin, name, linuxUser);

        string page = WebUtility.HtmlDecode(await response.Content.ReadAsStringAsync());
        Assert.Contains(expected, page, StringComparison.Ordinal);
        Assert.False(await portal.WithDbAsync(db => db.Users.AnyAsync(u => u.UserName == name)));
        Assert.True(await portal.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.Action == AuditActions.UserCreated && e.Target == name && !e.Succeeded)));
    }

    [Fact]
    public async Task A_Linux_account_can_be_bound_to_only_one_portal_user()
    {
        await using var linuxAccount = await TestLinuxUsers.HoldAsync("ptest-web-dave");
        using PortalClient admin = await SignedInAdminAsync();
        using HttpResponseMessage first = await CreateUserAsync(admin, TestNames.Unique("dave"), "ptest-web-dave");
        string second = TestNames.Unique("dave-again");

        using HttpResponseMessage response = await CreateUserAsync(admin, second, "ptest-web-dave");

        Assert.Contains("already bound", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(await portal.WithDbAsync(db => db.Users.AnyAsync(u => u.UserName == second)));
    }

    [Fact]
    public async Task Disabling_a_user_ends_their_session_and_blocks_sign_in()
    {
        string name = TestNames.Unique("erin");
        PortalUser erin = await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient erinClient = portal.CreatePortalClient();
        using HttpResponseMessage _ = await erinClient.LoginAsync(name, TestNames.Password);
        Assert.Equal(HttpStatusCode.OK, (await erinClient.Http.GetAsync("/")).StatusCode);
        using PortalClient admin = await SignedInAdminAsync();

        using HttpResponseMessage disabled = await ConfirmedUserActionAsync(admin, "disable", erin.Id);

        Assert.Contains("disabled and signed out", await disabled.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using HttpResponseMessage afterDisable = await erinClient.Http.GetAsync("/");
        Assert.Equal(HttpStatusCode.Redirect, afterDisable.StatusCode);
        Assert.StartsWith("/account/login", afterDisable.RedirectPath(), StringComparison.Ordinal);
        using HttpResponseMessage relogin = await erinClient.LoginAsync(name, TestNames.Password);
        Assert.Contains("disabled", await relogin.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True(await portal.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.Action == AuditActions.UserDisabled && e.Target == name && e.Succeeded)));
        Assert.True(await portal.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.Action == AuditActions.LoginRefusedDisabled && e.ActorName == name)));

        using HttpResponseMessage enabled = await UserActionAsync(admin, "enable", erin.Id);
        using HttpResponseMessage back = await erinClient.LoginAsync(name, TestNames.Password);
        Assert.Equal(HttpStatusCode.Redirect, back.StatusCode);
    }

    [Fact]
    public async Task Reset_password_gives_a_one_time_password_and_the_old_one_stops_working()
    {
        string name = TestNames.Unique("frank");
        PortalUser frank = await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient admin = await SignedInAdminAsync();

        using HttpResponseMessage reset = await ConfirmedUserActionAsync(admin, "reset-password", frank.Id);

        string oneTime = SecretPattern().Match(await reset.Content.ReadAsStringAsync()).Groups[1].Value;
        Assert.Equal(20, oneTime.Length);
        using PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage old = await client.LoginAsync(name, TestNames.Password);
        Assert.Equal(HttpStatusCode.OK, old.StatusCode);
        using HttpResponseMessage fresh = await client.LoginAsync(name, oneTime);
        Assert.Equal("/account/change-password", fresh.RedirectPath());
    }

    [Fact]
    public async Task Make_admin_gives_access_to_admin_pages_at_once()
    {
        string name = TestNames.Unique("grace");
        PortalUser grace = await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient graceClient = portal.CreatePortalClient();
        using HttpResponseMessage _ = await graceClient.LoginAsync(name, TestNames.Password);
        Assert.Equal(HttpStatusCode.Forbidden, (await graceClient.Http.GetAsync("/admin/users")).StatusCode);
        using PortalClient admin = await SignedInAdminAsync();

        using HttpResponseMessage made = await UserActionAsync(admin, "make-admin", grace.Id);

        // The role change renewed her security stamp: her old cookie is gone, a new sign-in carries the role.
        using HttpResponseMessage again = await graceClient.LoginAsync(name, TestNames.Password);
        Assert.Equal(HttpStatusCode.OK, (await graceClient.Http.GetAsync("/admin/users")).StatusCode);
        Assert.True(await portal.WithDbAsync(db => db.AuditEvents.AnyAsync(e => e.Action == AuditActions.AdminGranted && e.Target == name)));
    }

    [Theory]
    [InlineData("disable", "Yes, disable ")]
    [InlineData("reset-password", "Yes, reset the password of ")]
    public async Task Disable_and_reset_password_ask_first_and_change_nothing_until_confirmed(string command, string yes)
    {
        string name = TestNames.Unique("hesitant");
        PortalUser user = await portal.CreateUserAsync(name, TestNames.Password);
        string? stampBefore = await portal.WithDbAsync(db => db.Users.Where(u => u.Id == user.Id).Select(u => u.SecurityStamp).SingleAsync());
        using PortalClient admin = await SignedInAdminAsync();

        using HttpResponseMessage asked = await UserActionAsync(admin, command, user.Id);

        string page = await asked.Content.ReadAsStringAsync();
        Assert.Contains(yes + name, page, StringComparison.Ordinal);
        Assert.Contains("name=\"_handler\" value=\"confirm-user-action\"", page, StringComparison.Ordinal);
        Assert.DoesNotMatch(SecretPattern(), page);
        Assert.Equal(stampBefore, await portal.WithDbAsync(db => db.Users.Where(u => u.Id == user.Id).Select(u => u.SecurityStamp).SingleAsync()));
        using PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage login = await client.LoginAsync(name, TestNames.Password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
    }

    [Fact]
    public async Task Admin_forms_without_an_antiforgery_token_are_rejected()
    {
        string name = TestNames.Unique("victim");
        PortalUser victim = await portal.CreateUserAsync(name, TestNames.Password);
        using PortalClient admin = await SignedInAdminAsync();

        using HttpResponseMessage response = await admin.PostFormAsync(
            "/admin/users", "user-action", [new("Command", $"disable:{victim.Id}")], withToken: false);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(await portal.WithDbAsync(db => db.Users.Where(u => u.Id == victim.Id).Select(u => u.IsDisabled).SingleAsync()));
    }

    private async Task<PortalClient> SignedInAdminAsync()
    {
        string name = TestNames.Unique("admin");
        await portal.CreateUserAsync(name, TestNames.Password, admin: true);
        PortalClient client = portal.CreatePortalClient();
        using HttpResponseMessage login = await client.LoginAsync(name, TestNames.Password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return client;
    }

    private static Task<HttpResponseMessage> CreateUserAsync(PortalClient admin, string userName, string linuxUser) =>
        admin.PostFormAsync("/admin/users", "create-user", [new("NewUser.UserName", userName), new("NewUser.LinuxUserName", linuxUser)]);

    private static Task<HttpResponseMessage> UserActionAsync(PortalClient admin, string command, Guid userId) =>
        admin.PostFormAsync("/admin/users", "user-action", [new("Command", $"{command}:{userId}")]);

    private static Task<HttpResponseMessage> ConfirmedUserActionAsync(PortalClient admin, string command, Guid userId) =>
        admin.PostFormAsync("/admin/users", "confirm-user-action", [new("Command", $"{command}:{userId}")]);

    [GeneratedRegex("<code class=\"secret\">([^<]+)</code>")]
    private static partial Regex SecretPattern();
}
