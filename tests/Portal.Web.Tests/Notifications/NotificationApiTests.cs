using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Portal.Api.Contracts;
using Portal.Data.Jobs;
using Portal.Web.Tests.Api;
using static Portal.Web.Tests.Data.JobStoreFixtures;

namespace Portal.Web.Tests.Notifications;

/// <summary>The portal with webhooks to 127.0.0.1 allowed (and nothing else private), as the notification API tests need.
/// Its scheduler passes only at start and then every 10 minutes, so a queued CPU job the tests withdraw through the job
/// store is not started by the runner in between (jobs queued through the store wake no pass).</summary>
public sealed class NotificationApiPortal : ApiPortalFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Portal:Notifications:Webhooks:AllowedPrivateNetworks:0", "127.0.0.1");
        builder.UseSetting("Portal:Jobs:SchedulingTick", "00:10:00");
    }
}

public sealed class NotificationApiTests(NotificationApiPortal portal) : IClassFixture<NotificationApiPortal>
{
    private JobStore Jobs => portal.Services.GetRequiredService<JobStore>();

    [Fact]
    public async Task Each_user_lists_and_marks_only_their_own_jobs_notifications()
    {
        var accounts = await portal.AccountsAsync();
        using var alice = portal.ApiClient(await portal.TokenAsync(accounts.Alice, ApiScopes.JobsRead));
        using var bob = portal.ApiClient(await portal.TokenAsync(accounts.Bob, ApiScopes.JobsRead));
        // Queued jobs withdrawn by their owners: each move is the owner's "job ended", made through the job store.
        var alicesJob = await SubmitAsync(Jobs, accounts.Alice.Id, Spec(gpus: 0, name: "alice-api"));
        var bobsJob = await SubmitAsync(Jobs, accounts.Bob.Id, Spec(gpus: 0, name: "bob-api"));
        Assert.True((await Jobs.CancelQueuedAsync(alicesJob, "alice")).Applied);
        Assert.True((await Jobs.CancelQueuedAsync(bobsJob, "bob")).Applied);

        var alices = await alice.GetFromJsonAsync<NotificationListResponse>("/api/v1/notifications?unread=true");
        var bobs = await bob.GetFromJsonAsync<NotificationListResponse>("/api/v1/notifications");

        var mine = Assert.Single(alices!.Items, n => n.JobId == alicesJob);
        Assert.DoesNotContain(alices.Items, n => n.JobId == bobsJob);
        Assert.DoesNotContain(bobs!.Items, n => n.JobId == alicesJob);
        Assert.Equal(("JobEnded", "Cancelled", $"Job #{alicesJob} (alice-api) was cancelled."), (mine.Kind, mine.State, mine.Title));
        var bobsNotification = Assert.Single(bobs.Items, n => n.JobId == bobsJob);

        using var foreign = await alice.PostAsync($"/api/v1/notifications/{bobsNotification.Id}/read", null);
        await ProblemAssert.IsProblemAsync(foreign, HttpStatusCode.NotFound);
        using var own = await alice.PostAsync($"/api/v1/notifications/{mine.Id}/read", null);
        Assert.Equal(HttpStatusCode.NoContent, own.StatusCode);
        var after = await alice.GetFromJsonAsync<NotificationListResponse>("/api/v1/notifications?unread=true");
        Assert.DoesNotContain(after!.Items, n => n.Id == mine.Id);
        var bobsAfter = await bob.GetFromJsonAsync<NotificationListResponse>("/api/v1/notifications?unread=true");
        Assert.Contains(bobsAfter!.Items, n => n.Id == bobsNotification.Id);
    }

    [Fact]
    public async Task Settings_are_saved_and_a_new_webhook_gets_a_secret_shown_once()
    {
        var accounts = await portal.AccountsAsync();
        using var client = portal.ApiClient(await portal.TokenAsync(accounts.Admin, TestScopes.ReadWrite));
        var request = new NotificationSettingsRequest
        {
            Email = "admin@example.org",
            Channels = new NotificationChannelsDto(["JobEnded"], ["JobEnded", "JobFailedToStart"], ["JobStarted"]),
            WebhookUrl = "http://127.0.0.1:9/hooks/admin",
            WebhookSlackFormat = true,
        };

        using var put = await client.PutAsJsonAsync("/api/v1/notification-settings", request);
        var saved = await put.Content.ReadFromJsonAsync<NotificationSettingsResponse>();
        var read = await client.GetFromJsonAsync<NotificationSettingsResponse>("/api/v1/notification-settings");

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.StartsWith("whsec_", saved!.WebhookSecret, StringComparison.Ordinal);
        Assert.Null(read!.WebhookSecret);
        Assert.Equal("admin@example.org", read.Email);
        Assert.Equal(["JobEnded"], read.Channels.Portal);
        Assert.Equal(["JobEnded", "JobFailedToStart"], read.Channels.Email);
        Assert.Equal(["JobStarted"], read.Channels.Webhook);
        Assert.Equal(("http://127.0.0.1:9/hooks/admin", true), (read.WebhookUrl, read.WebhookSlackFormat));
    }

    [Theory]
    [InlineData("{\"email\":\"not-an-address\"}", "email")]
    [InlineData("{\"webhookUrl\":\"http://127.0.0.2:9/hook\"}", "webhookUrl")]
    [InlineData("{\"webhookUrl\":\"http://169.254.169.254/latest/meta-data\"}", "webhookUrl")]
    [InlineData("{\"webhookUrl\":\"file:///etc/passwd\"}", "webhookUrl")]
    [InlineData("{\"channels\":{\"portal\":[\"JobExploded\"],\"email\":[],\"webhook\":[]}}", "channels.portal")]
    [InlineData("{\"channels\":{\"portal\":[],\"email\":[\"ForeignGpuProcess\"],\"webhook\":[]}}", "channels.email")]
    public async Task A_bad_setting_is_400_naming_the_field_and_changes_nothing(string body, string field)
    {
        var accounts = await portal.AccountsAsync();
        using var client = portal.ApiClient(await portal.TokenAsync(accounts.Bob, TestScopes.ReadWrite));
        var before = await client.GetFromJsonAsync<NotificationSettingsResponse>("/api/v1/notification-settings");

        using var response = await client.PutAsync("/api/v1/notification-settings", new StringContent(body, System.Text.Encoding.UTF8, "application/json"));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.NotEmpty(ProblemAssert.Errors(problem, field));
        var after = await client.GetFromJsonAsync<NotificationSettingsResponse>("/api/v1/notification-settings");
        Assert.Equal(before!.WebhookUrl, after!.WebhookUrl);
        Assert.Equal(before.Email, after.Email);
    }

    [Fact]
    public async Task Only_an_administrator_sees_and_chooses_the_foreign_process_kind_and_a_users_choice_keeps_it_as_it_was()
    {
        var accounts = await portal.AccountsAsync();
        using var admin = portal.ApiClient(await portal.TokenAsync(accounts.Admin, TestScopes.ReadWrite));
        using var alice = portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));
        var channels = new NotificationChannelsDto(["BookingStarting", "ForeignGpuProcess"], ["ForeignGpuProcess"], []);

        using var adminPut = await admin.PutAsJsonAsync("/api/v1/notification-settings", new NotificationSettingsRequest { Channels = channels });
        using var alicePut = await alice.PutAsJsonAsync("/api/v1/notification-settings", new NotificationSettingsRequest
        {
            Channels = new NotificationChannelsDto(["BookingStarting", "JobEnded"], [], []),
        });
        var adminRead = await admin.GetFromJsonAsync<NotificationSettingsResponse>("/api/v1/notification-settings");
        var aliceRead = await alice.GetFromJsonAsync<NotificationSettingsResponse>("/api/v1/notification-settings");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (adminPut.StatusCode, alicePut.StatusCode));
        Assert.Equal(["ForeignGpuProcess", "BookingStarting"], adminRead!.Channels.Portal);
        Assert.Equal(["ForeignGpuProcess"], adminRead.Channels.Email);
        Assert.Equal(["JobEnded", "BookingStarting"], aliceRead!.Channels.Portal);
        Assert.DoesNotContain(aliceRead.Channels.Email.Concat(aliceRead.Channels.Webhook), k => k == "ForeignGpuProcess");
    }

    [Fact]
    public async Task The_OpenAPI_document_lists_the_notification_endpoints_with_their_answers()
    {
        using var client = portal.ApiClient(null);

        using var document = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync(ApiRoutes.OpenApiDocument));

        var paths = document.RootElement.GetProperty("paths");
        Assert.Contains("200", Statuses(paths, "/api/v1/notifications", "get"));
        Assert.Equal(["204", "404"], Statuses(paths, "/api/v1/notifications/{id}/read", "post"));
        Assert.Contains("204", Statuses(paths, "/api/v1/notifications/read", "post"));
        Assert.Contains("200", Statuses(paths, "/api/v1/notification-settings", "get"));
        Assert.Superset(new HashSet<string> { "200", "400", "415" }, Statuses(paths, "/api/v1/notification-settings", "put").ToHashSet());
    }

    [Fact]
    public async Task Changing_settings_needs_the_write_scope()
    {
        var accounts = await portal.AccountsAsync();
        using var client = portal.ApiClient(await portal.TokenAsync(accounts.Bob, ApiScopes.JobsRead));

        using var response = await client.PutAsJsonAsync("/api/v1/notification-settings", new NotificationSettingsRequest { Email = "bob@example.org" });

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private static List<string> Statuses(System.Text.Json.JsonElement paths, string path, string method) =>
        [.. paths.GetProperty(path).GetProperty(method).GetProperty("responses").EnumerateObject().Select(r => r.Name).Order(StringComparer.Ordinal)];
}
