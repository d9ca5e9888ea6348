using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Api.Contracts;
using Portal.Data.Entities.Jobs;
using Portal.Web.Services.Audit;

namespace Portal.Web.Tests.Api;

/// <summary>
/// Apps through the API: a review says what the portal understood; every hostile file is refused with its line and
/// key, audited once, and queues nothing (so nothing can start).
/// </summary>
public sealed class ApiAppTests(ApiPortalFactory portal) : IClassFixture<ApiPortalFactory>
{
    private const string TwoServices = """
        services:
          client:
            image: localhost/busybox:latest
            command: ["sh", "-c", "wget -q -O - http://web:8080/"]
            depends_on:
              web: {condition: service_healthy}
          web:
            image: localhost/busybox:latest
            command: httpd -f -p 8080
            healthcheck: {test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"], interval: 1s}
            deploy: {resources: {limits: {cpus: "0.5", memory: 256m}}}
        """;

    private static readonly string HostileFolder = Path.Combine(AppContext.BaseDirectory, "TestData", "apps", "hostile");

    public static TheoryData<string> HostileFiles() => [.. Directory.GetFiles(HostileFolder, "*.yaml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task A_review_shows_the_services_in_start_order_with_their_resources_and_queues_nothing()
    {
        using var client = await AliceAsync();
        var before = await JobCountAsync();

        using var response = await client.PostAsJsonAsync("/api/v1/apps/review", new AppRequest { File = TwoServices });

        var review = await response.Content.ReadFromJsonAsync<AppReviewResponse>();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(review!.Valid, string.Join("; ", review.Problems.Select(p => p.Message)));
        Assert.Equal(["web", "client"], review.Services.Select(s => s.Name));
        Assert.Equal(["web (healthy)"], review.Services[1].DependsOn);
        Assert.Equal(1.5, review.Cpus);
        Assert.Equal(256 + 1024, review.MemoryMiB);
        Assert.Equal(before, await JobCountAsync());
    }

    [Fact]
    public async Task An_app_is_queued_as_one_job_holding_its_file_and_its_summed_resources()
    {
        using var client = await AliceAsync();

        using var response = await client.PostAsJsonAsync("/api/v1/apps", new AppRequest { File = TwoServices, Name = "web-and-client", WalltimeMinutes = 30 });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var submitted = await response.Content.ReadFromJsonAsync<SubmitJobResponse>();
        var record = await portal.WithDbAsync(db => db.Set<JobRecord>().AsNoTracking().SingleAsync(j => j.Id == submitted!.Id));
        Assert.Equal(TwoServices, record.AppFile);
        Assert.Equal("web-and-client", record.Name);
        Assert.Equal(1.5, record.Cpus);
        Assert.Equal(1280, record.MemoryMiB);
        Assert.Equal(TimeSpan.FromMinutes(30), record.Walltime);
        var app = await client.GetFromJsonAsync<AppResponse>($"/api/v1/apps/{submitted!.Id}");
        // The portal's runner may already have taken the job on; the app view is the job's, by id and name.
        Assert.Equal((submitted.Id, "web-and-client"), (app!.Id, app.Name));
        using var asJob = await client.GetAsync($"/api/v1/jobs/{submitted.Id}");
        Assert.Equal(HttpStatusCode.OK, asJob.StatusCode);
    }

    [Fact]
    public async Task An_app_with_a_web_front_says_where_the_portal_serves_it_and_one_without_says_nothing()
    {
        using var client = await AliceAsync();
        const string withFront = """
            services:
              web:
                image: localhost/busybox:latest
                command: httpd -f -p 127.0.0.1:8080
                x-portal-web: {port: 8080}
              worker:
                image: localhost/busybox:latest
                command: sleep 300
            """;

        using var front = await client.PostAsJsonAsync("/api/v1/apps", new AppRequest { File = withFront, Name = "with-front" });
        using var plain = await client.PostAsJsonAsync("/api/v1/apps", new AppRequest { File = TwoServices, Name = "no-front" });

        var frontId = (await front.Content.ReadFromJsonAsync<SubmitJobResponse>())!.Id;
        var plainId = (await plain.Content.ReadFromJsonAsync<SubmitJobResponse>())!.Id;
        var withWeb = await client.GetFromJsonAsync<AppResponse>($"/api/v1/apps/{frontId}");
        var without = await client.GetFromJsonAsync<AppResponse>($"/api/v1/apps/{plainId}");
        Assert.Equal(("web:8080", $"/s/{frontId}/"), (withWeb!.WebFront, withWeb.WebPath));
        Assert.Equal((null, null), (without!.WebFront, without.WebPath));
    }

    [Theory]
    [MemberData(nameof(HostileFiles))]
    public async Task A_hostile_file_is_refused_at_its_line_audited_once_and_queues_nothing(string file)
    {
        var text = await File.ReadAllTextAsync(Path.Combine(HostileFolder, file));
        var expect = text.Split('\n')[0]["# expect: ".Length..];
        var line = int.Parse(expect[(expect.LastIndexOf(" line ", StringComparison.Ordinal) + 6)..], CultureInfo.InvariantCulture);
        var accounts = await portal.AccountsAsync();
        using var client = await AliceAsync();
        var jobsBefore = await JobCountAsync();
        var auditBefore = await RefusalsAsync(accounts.Alice.Id);

        using var response = await client.PostAsJsonAsync("/api/v1/apps", new AppRequest { File = text });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        var review = await response.Content.ReadFromJsonAsync<AppReviewResponse>();
        Assert.False(review!.Valid);
        Assert.NotEmpty(review.Problems);
        if (line > 0)
        {
            Assert.Contains(review.Problems, p => p.Line == line || p.Message.StartsWith($"line {line}:", StringComparison.Ordinal));
        }

        Assert.Equal(jobsBefore, await JobCountAsync());
        var refusals = await RefusalsAsync(accounts.Alice.Id);
        Assert.Equal(auditBefore.Count + 1, refusals.Count);
        Assert.Contains("line ", refusals[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_users_app_is_404()
    {
        var accounts = await portal.AccountsAsync();
        using var alice = await AliceAsync();
        using var created = await alice.PostAsJsonAsync("/api/v1/apps", new AppRequest { File = TwoServices });
        var id = (await created.Content.ReadFromJsonAsync<SubmitJobResponse>())!.Id;
        using var bob = portal.ApiClient(await portal.TokenAsync(accounts.Bob, TestScopes.ReadWrite));

        using var response = await bob.GetAsync($"/api/v1/apps/{id}");
        using var logs = await bob.GetAsync($"/api/v1/apps/{id}/services/web/logs");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, logs.StatusCode);
    }

    private async Task<HttpClient> AliceAsync()
    {
        var accounts = await portal.AccountsAsync();
        return portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));
    }

    private Task<int> JobCountAsync() => portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync());

    private Task<List<string>> RefusalsAsync(Guid actor) => portal.WithDbAsync(db => db.AuditEvents.AsNoTracking()
        .Where(e => e.Action == AuditActions.AppRefused && e.ActorId == actor).OrderBy(e => e.Id).Select(e => e.Detail ?? "").ToListAsync());
}
