using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Api.Contracts;
using Portal.Data;
using Portal.Data.Entities;
using Portal.Web.Tests.Api;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.SignIn;

/// <summary>
/// Disabling a user ends what they hold right now: a followed log stream of their running job (a launcher and a podman
/// process) ends within seconds, and their API tokens are revoked, not merely refused while the account stays disabled.
/// </summary>
[Collection(JobHostGroup.Name)]
public sealed class RevocationTests(JobHostFixture fixture) : IAsyncLifetime
{
    private JobTestContext _context = null!;
    private ApiJobPortal _portal = null!;

    public async Task InitializeAsync()
    {
        _context = await JobTestContext.CreateAsync(fixture, gpus: 0);
        _portal = new ApiJobPortal(_context.Db.ConnectionString, fixture.LauncherPath).Start();
    }

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _context.DisposeAsync();
    }

    [Fact]
    public async Task Disabling_a_user_ends_their_open_log_stream_and_revokes_their_tokens()
    {
        Guid alice = _context.Accounts[fixture.Alice.Name];
        using var client = _portal.ApiClient(await _portal.TokenAsync(alice, ApiScopes.JobsRead, ApiScopes.JobsWrite));
        using var submitted = await client.PostAsJsonAsync("/api/v1/jobs", new SubmitJobRequest
        {
            Name = "forever", Image = JobHostFixture.Image, Command = ["sh", "-c", "while true; do echo tick; sleep 0.2; done"],
            MemoryMiB = 512, WalltimeMinutes = 10,
        });
        Assert.Equal(HttpStatusCode.Created, submitted.StatusCode);
        long id = (await submitted.Content.ReadFromJsonAsync<SubmitJobResponse>())!.Id;
        using var stream = await client.GetAsync($"/api/v1/jobs/{id}/logs?follow=true", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
        Assert.Equal("tick", await reader.ReadLineAsync());

        // An admin disables her through the API, in the running portal.
        Guid admin;
        await using (var scope = _portal.Services.CreateAsyncScope())
        {
            var users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
            var account = new PortalUser("revoking-admin");
            Assert.True((await users.CreateAsync(account)).Succeeded);
            Assert.True((await users.AddToRolesAsync(account, Roles.All)).Succeeded);
            admin = account.Id;
        }

        using var adminClient = _portal.ApiClient(await _portal.TokenAsync(admin, ApiScopes.JobsRead, ApiScopes.Admin));
        using var disabled = await adminClient.PostAsync($"/api/v1/admin/users/{alice}/disable", null);
        Assert.Equal(HttpStatusCode.OK, disabled.StatusCode);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            // Ends, or breaks off (the request is aborted); a stream still open at the deadline throws and fails the test.
            while (await reader.ReadLineAsync(deadline.Token) is not null)
            {
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
        }

        Assert.False(deadline.IsCancellationRequested, "the stream was still open 10 s after the user was disabled");
        await using var db = _context.Db.CreateDbContext();
        Assert.All(await db.ApiTokens.Where(t => t.UserId == alice).ToListAsync(), t => Assert.NotNull(t.RevokedAt));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/jobs")).StatusCode);
    }
}
