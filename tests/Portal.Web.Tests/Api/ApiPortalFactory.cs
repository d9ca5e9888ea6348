using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Portal.Api.Contracts;
using Portal.Data.Entities;
using Portal.Data.Tokens;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Api;

/// <summary>
/// The portal in-process on a fresh database, for API tests that need no containers: three accounts (two users
/// bound to Linux accounts, one admin) and helpers to mint tokens and call the API with them. The rate limit is
/// set out of reach unless a derived fixture lowers it.
/// </summary>
public class ApiPortalFactory : PortalFactory
{
    private readonly Lazy<Task<ApiAccounts>> _accounts;

    public ApiPortalFactory() => _accounts = new(CreateAccountsAsync);

    protected virtual int RequestsPerSecond => 100_000;

    protected virtual int Burst => 100_000;

    public Task<ApiAccounts> AccountsAsync() => _accounts.Value;

    public ApiTokenStore Tokens => Services.GetRequiredService<ApiTokenStore>();

    /// <summary>A new token for <paramref name="user"/> with <paramref name="scopes"/>, valid for a day.</summary>
    public async Task<string> TokenAsync(PortalUser user, params string[] scopes)
    {
        ArgumentNullException.ThrowIfNull(user);
        var result = await Tokens.CreateAsync(user.Id, TestNames.Unique("test"), scopes, DateTimeOffset.UtcNow.AddDays(1));
        return result.Token?.Secret ?? throw new InvalidOperationException(string.Join(" ", result.Errors));
    }

    /// <summary>An HTTP client that sends <paramref name="token"/> as a bearer token (none when null).</summary>
    public HttpClient ApiClient(string? token)
    {
        var client = CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return client;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Portal:Api:RequestsPerSecond", RequestsPerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("Portal:Api:Burst", Burst.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    private async Task<ApiAccounts> CreateAccountsAsync() => new(
        await CreateUserAsync(TestNames.Unique("api-alice"), TestNames.Password, linuxUser: "ptest-api-alice"),
        await CreateUserAsync(TestNames.Unique("api-bob"), TestNames.Password, linuxUser: "ptest-api-bob"),
        await CreateUserAsync(TestNames.Unique("api-admin"), TestNames.Password, admin: true, linuxUser: "ptest-api-admin"));
}

/// <summary>The accounts of one <see cref="ApiPortalFactory"/>.</summary>
public sealed record ApiAccounts(PortalUser Alice, PortalUser Bob, PortalUser Admin);

/// <summary>Every scope a normal user may hold.</summary>
public static class TestScopes
{
    public static readonly string[] ReadWrite = [ApiScopes.JobsRead, ApiScopes.JobsWrite];
}
