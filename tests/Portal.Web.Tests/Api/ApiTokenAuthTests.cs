using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Api.Contracts;
using Portal.Data.Entities;
using Portal.Data.Entities.Jobs;
using Portal.Data.Tokens;

namespace Portal.Web.Tests.Api;

public sealed class ApiTokenAuthTests(ApiPortalFactory portal) : IClassFixture<ApiPortalFactory>
{
    [Fact]
    public async Task A_request_without_a_token_is_401_Problem_Details_asking_for_a_bearer_token()
    {
        using var anonymous = portal.ApiClient(null);

        using var response = await anonymous.GetAsync("/api/v1/jobs");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Theory]
    [InlineData("gpp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("not-a-token")]
    [InlineData("")]
    public async Task An_unknown_or_malformed_token_is_401_invalid_token(string token)
    {
        using var client = portal.ApiClient(null);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/jobs");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);

        using var response = await client.SendAsync(request);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_cookie_does_not_authorize_an_API_call()
    {
        var accounts = await portal.AccountsAsync();
        using var browser = portal.CreatePortalClient();
        using var login = await browser.LoginAsync(accounts.Alice.UserName!, Infrastructure.TestNames.Password);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);

        using var response = await browser.Http.GetAsync("/api/v1/jobs");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_revoked_token_is_401_on_the_next_request()
    {
        var accounts = await portal.AccountsAsync();
        var token = await portal.TokenAsync(accounts.Alice, ApiScopes.JobsRead);
        using var client = portal.ApiClient(token);
        using (var before = await client.GetAsync("/api/v1/jobs"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var id = (await portal.Tokens.ListAsync(accounts.Alice.Id)).Single(t => token.StartsWith(t.DisplayPrefix, StringComparison.Ordinal) && t.RevokedAt is null).Id;
        Assert.True(await portal.Tokens.RevokeAsync(accounts.Alice.Id, id));

        using var after = await client.GetAsync("/api/v1/jobs");
        await ProblemAssert.IsProblemAsync(after, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Another_user_cannot_revoke_my_token()
    {
        var accounts = await portal.AccountsAsync();
        var token = await portal.TokenAsync(accounts.Alice, ApiScopes.JobsRead);
        var id = (await portal.Tokens.ListAsync(accounts.Alice.Id)).First(t => token.StartsWith(t.DisplayPrefix, StringComparison.Ordinal)).Id;

        Assert.False(await portal.Tokens.RevokeAsync(accounts.Bob.Id, id));

        using var client = portal.ApiClient(token);
        using var response = await client.GetAsync("/api/v1/jobs");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task An_expired_token_is_401()
    {
        var accounts = await portal.AccountsAsync();
        var token = await portal.TokenAsync(accounts.Alice, ApiScopes.JobsRead);
        var hash = ApiTokenSecret.Hash(token);
        await portal.WithDbAsync(db => db.ApiTokens.Where(t => t.SecretHash == hash).ExecuteUpdateAsync(s => s
            .SetProperty(t => t.CreatedAt, DateTimeOffset.UtcNow.AddDays(-2))
            .SetProperty(t => t.ExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1))));
        using var client = portal.ApiClient(token);

        using var response = await client.GetAsync("/api/v1/jobs");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Disabling_a_user_stops_their_tokens_at_once_and_enabling_restores_them()
    {
        var user = await portal.CreateUserAsync(Infrastructure.TestNames.Unique("api-carol"), Infrastructure.TestNames.Password);
        var token = await portal.TokenAsync(user, ApiScopes.JobsRead);
        using var client = portal.ApiClient(token);
        using (var before = await client.GetAsync("/api/v1/jobs"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        await SetDisabledAsync(user.Id, disabled: true);
        using (var disabled = await client.GetAsync("/api/v1/jobs"))
        {
            await ProblemAssert.IsProblemAsync(disabled, HttpStatusCode.Unauthorized);
        }

        await SetDisabledAsync(user.Id, disabled: false);
        using var enabled = await client.GetAsync("/api/v1/jobs");
        Assert.Equal(HttpStatusCode.OK, enabled.StatusCode);
    }

    [Fact]
    public async Task A_read_only_token_cannot_submit_or_cancel_and_nothing_is_queued()
    {
        var accounts = await portal.AccountsAsync();
        using var client = portal.ApiClient(await portal.TokenAsync(accounts.Alice, ApiScopes.JobsRead));
        var before = await portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync());

        using var submit = await client.PostAsJsonAsync("/api/v1/jobs", new SubmitJobRequest { Name = "ro", Image = "localhost/busybox:latest" });
        using var cancel = await client.PostAsync("/api/v1/jobs/1/cancel", null);

        var problem = await ProblemAssert.IsProblemAsync(submit, HttpStatusCode.Forbidden);
        Assert.Contains("jobs:write", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(cancel, HttpStatusCode.Forbidden);
        Assert.Equal(before, await portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync()));
    }

    [Fact]
    public async Task A_write_only_token_cannot_read()
    {
        var accounts = await portal.AccountsAsync();
        using var client = portal.ApiClient(await portal.TokenAsync(accounts.Alice, ApiScopes.JobsWrite));

        using var response = await client.GetAsync("/api/v1/jobs");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Only_the_hash_is_stored_and_last_use_is_recorded()
    {
        var accounts = await portal.AccountsAsync();
        var token = await portal.TokenAsync(accounts.Bob, ApiScopes.JobsRead);
        var hash = SHA256.HashData(Encoding.ASCII.GetBytes(token));
        Assert.Matches("^gpp_[A-Za-z0-9_-]{43}$", token);

        using var client = portal.ApiClient(token);
        using var response = await client.GetAsync("/api/v1/quota");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = await portal.WithDbAsync(db => db.ApiTokens.AsNoTracking().SingleAsync(t => t.SecretHash == hash));
        Assert.NotNull(row.LastUsedAt);
        Assert.True(row.LastUsedAt > DateTimeOffset.UtcNow.AddMinutes(-1));
        Assert.True(token.Length > row.DisplayPrefix.Length + 30);
        var text = await portal.WithDbAsync(db => db.Database.SqlQueryRaw<string>(
            "SELECT concat_ws('|', \"Name\", \"DisplayPrefix\", array_to_string(\"Scopes\", ','), encode(\"SecretHash\", 'escape')) AS \"Value\" FROM \"ApiTokens\"").ToListAsync());
        Assert.DoesNotContain(text, t => t.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Only_an_admin_may_hold_the_admin_scope_and_only_while_admin()
    {
        var accounts = await portal.AccountsAsync();

        var refused = await portal.Tokens.CreateAsync(accounts.Bob.Id, "sneaky", [ApiScopes.Admin], DateTimeOffset.UtcNow.AddDays(1));
        Assert.Null(refused.Token);
        Assert.Contains("Only administrators", string.Join(" ", refused.Errors), StringComparison.Ordinal);

        var admin = await portal.CreateUserAsync(Infrastructure.TestNames.Unique("api-admin2"), Infrastructure.TestNames.Password, admin: true);
        using var client = portal.ApiClient(await portal.TokenAsync(admin, ApiScopes.Admin, ApiScopes.JobsRead));
        using (var allowed = await client.GetAsync("/api/v1/admin/users"))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        await using (var scope = portal.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var stored = await users.FindByIdAsync(admin.Id.ToString());
            Assert.True((await users.RemoveFromRoleAsync(stored!, Portal.Data.Roles.Admin)).Succeeded);
        }

        using var demoted = await client.GetAsync("/api/v1/admin/users");
        await ProblemAssert.IsProblemAsync(demoted, HttpStatusCode.Forbidden);
        using var ownJobs = await client.GetAsync("/api/v1/jobs");
        Assert.Equal(HttpStatusCode.OK, ownJobs.StatusCode);
    }

    [Fact]
    public async Task An_admin_token_without_the_admin_scope_is_forbidden_on_admin_endpoints()
    {
        var accounts = await portal.AccountsAsync();
        using var client = portal.ApiClient(await portal.TokenAsync(accounts.Admin, TestScopes.ReadWrite));

        using var response = await client.GetAsync("/api/v1/admin/jobs");

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Contains("'admin' scope", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "Give the token a name")]
    [InlineData("ok", "Choose at least one scope")]
    public async Task Token_creation_refuses_bad_input_with_a_reason(string name, string expected)
    {
        var accounts = await portal.AccountsAsync();
        string[] scopes = name.Length == 0 ? [ApiScopes.JobsRead] : [];

        var result = await portal.Tokens.CreateAsync(accounts.Alice.Id, name, scopes, DateTimeOffset.UtcNow.AddDays(1));

        Assert.Null(result.Token);
        Assert.Contains(result.Errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Token_creation_refuses_past_and_too_distant_expiry_and_unknown_scopes()
    {
        var accounts = await portal.AccountsAsync();

        var past = await portal.Tokens.CreateAsync(accounts.Alice.Id, "x", [ApiScopes.JobsRead], DateTimeOffset.UtcNow.AddMinutes(-1));
        var far = await portal.Tokens.CreateAsync(accounts.Alice.Id, "x", [ApiScopes.JobsRead], DateTimeOffset.UtcNow.AddYears(5));
        var unknown = await portal.Tokens.CreateAsync(accounts.Alice.Id, "x", ["root"], DateTimeOffset.UtcNow.AddDays(1));

        Assert.Contains("The expiry must be in the future.", past.Errors);
        Assert.Contains("A token can live at most a year.", far.Errors);
        Assert.Contains("'root' is not a scope.", unknown.Errors);
    }

    private async Task SetDisabledAsync(Guid userId, bool disabled)
    {
        await using var scope = portal.Services.CreateAsyncScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        var user = await users.FindByIdAsync(userId.ToString());
        if (disabled)
        {
            user!.Disable();
        }
        else
        {
            user!.Enable();
        }

        Assert.True((await users.UpdateAsync(user)).Succeeded);
    }
}
