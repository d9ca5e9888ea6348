using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Portal.Web.Services.Audit;
using Portal.Web.Tests.Infrastructure;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.SignIn;

/// <summary>
/// Linux password sign-in end to end: the portal asks the real launcher, which asks the real pam_unix about a password
/// set with chpasswd on the fixture's throwaway account; the first sign-in creates the portal account bound to it.
/// </summary>
[Collection(JobHostGroup.Name)]
public sealed class LinuxPasswordSignInTests(JobHostFixture fixture) : IAsyncLifetime
{
    private const string Password = "pweb linux secret 31";
    private JobTestContext _context = null!;

    public async Task InitializeAsync()
    {
        _context = await JobTestContext.CreateAsync(fixture, gpus: 0);
        // This test's own database starts without the fixture's accounts for alice: her first sign-in makes one.
        await _context.Db.ExecuteAsync($"DELETE FROM \"AspNetUsers\" WHERE \"LinuxUserName\" = '{fixture.Alice.Name}'");
        await JobHostFixture.SetPasswordAsync(fixture.Alice, Password);
    }

    public async Task DisposeAsync()
    {
        await JobHostFixture.LockPasswordAsync(fixture.Alice);
        await _context.DisposeAsync();
    }

    [Fact]
    public async Task The_first_sign_in_with_the_Linux_password_creates_the_bound_account_and_the_next_reuses_it()
    {
        var portal = _context.StartPortal();
        using var first = Client(portal);

        using var response = await first.LoginAsync(fixture.Alice.Name, Password);

        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.RedirectPath());
        Assert.Contains($"Welcome, {fixture.Alice.Name}", await first.PageAsync("/"), StringComparison.Ordinal);
        var account = await QueryAsync(db => db.Users.SingleAsync(u => u.LinuxUserName == fixture.Alice.Name));
        Assert.Equal((fixture.Alice.Name, (long?)fixture.Alice.Uid), (account.UserName, account.LinuxUid));
        Assert.Null(account.PasswordHash);
        Assert.True(await QueryAsync(db => db.AuditEvents.AnyAsync(e => e.Action == AuditActions.UserCreatedBySignIn && e.Target == fixture.Alice.Name && e.Succeeded)));

        using var second = Client(portal);
        using var again = await second.LoginAsync(fixture.Alice.Name, Password);

        Assert.Equal(HttpStatusCode.Redirect, again.StatusCode);
        Assert.Equal(1, await QueryAsync(db => db.Users.CountAsync(u => u.LinuxUserName == fixture.Alice.Name)));
    }

    [Fact]
    public async Task A_wrong_Linux_password_is_refused_and_creates_nothing()
    {
        var portal = _context.StartPortal();
        using var client = Client(portal);

        using var response = await client.LoginAsync(fixture.Alice.Name, "not her linux password");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Wrong user name or password", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False(await QueryAsync(db => db.Users.AnyAsync(u => u.LinuxUserName == fixture.Alice.Name)));
        Assert.True(await QueryAsync(db => db.AuditEvents.AnyAsync(e => e.Action == AuditActions.LoginFailed
            && e.ActorName == fixture.Alice.Name && EF.Functions.Like(e.Detail!, "Linux password refused%"))));
    }

    [Fact]
    public async Task A_disabled_account_is_revealed_only_to_the_right_password()
    {
        var portal = _context.StartPortal();
        using (var first = Client(portal))
        {
            using var created = await first.LoginAsync(fixture.Alice.Name, Password);
        }

        await _context.Db.ExecuteAsync($"UPDATE \"AspNetUsers\" SET \"IsDisabled\" = true WHERE \"LinuxUserName\" = '{fixture.Alice.Name}'");
        using var client = Client(portal);

        using var wrong = await client.LoginAsync(fixture.Alice.Name, "not her linux password");
        using var right = await client.LoginAsync(fixture.Alice.Name, Password);

        Assert.Contains("Wrong user name or password", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("This account is disabled", await right.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Redirect, (await client.Http.GetAsync("/")).StatusCode);
    }

    private async Task<T> QueryAsync<T>(Func<Portal.Data.PortalDbContext, Task<T>> query)
    {
        await using var db = _context.Db.CreateDbContext();
        return await query(db);
    }

    private static PortalClient Client(JobPortal portal) =>
        new(portal.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true }));
}
