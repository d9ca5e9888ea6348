using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Api.Contracts;
using Portal.Data.Entities.Jobs;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Api;

/// <summary>
/// A submission's idempotency key, through the API's Idempotency-Key header and the launch form's own key: a repeat
/// finds the first job and queues nothing; another user's key never reaches it; a bad key queues nothing either.
/// </summary>
public sealed class IdempotencyKeyTests(ApiPortalFactory portal) : IClassFixture<ApiPortalFactory>
{
    [Fact]
    public async Task The_same_key_again_answers_200_with_the_first_job_and_queues_nothing()
    {
        var accounts = await portal.AccountsAsync();
        using var client = portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));
        string key = "retry-" + Guid.NewGuid().ToString("N");

        using var first = await SubmitAsync(client, key, "first");
        using var again = await SubmitAsync(client, key, "first");
        // A different body under the same key is the same submission retried: the first one stands.
        using var changed = await SubmitAsync(client, key, "changed");

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        long id = (await first.Content.ReadFromJsonAsync<SubmitJobResponse>())!.Id;
        Assert.Equal(id, (await again.Content.ReadFromJsonAsync<SubmitJobResponse>())!.Id);
        Assert.Equal(id, (await changed.Content.ReadFromJsonAsync<SubmitJobResponse>())!.Id);
        Assert.Equal(1, await portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync(j => j.IdempotencyKey == key)));
        Assert.Equal("first", await portal.WithDbAsync(db => db.Set<JobRecord>().Where(j => j.Id == id).Select(j => j.Name).SingleAsync()));
    }

    [Fact]
    public async Task Two_users_with_the_same_key_get_a_job_each()
    {
        var accounts = await portal.AccountsAsync();
        using var alice = portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));
        using var bob = portal.ApiClient(await portal.TokenAsync(accounts.Bob, TestScopes.ReadWrite));
        string key = "shared-" + Guid.NewGuid().ToString("N");

        using var mine = await SubmitAsync(alice, key, "mine");
        using var theirs = await SubmitAsync(bob, key, "theirs");

        Assert.Equal(HttpStatusCode.Created, mine.StatusCode);
        Assert.Equal(HttpStatusCode.Created, theirs.StatusCode);
        Assert.NotEqual((await mine.Content.ReadFromJsonAsync<SubmitJobResponse>())!.Id, (await theirs.Content.ReadFromJsonAsync<SubmitJobResponse>())!.Id);
    }

    [Fact]
    public async Task Concurrent_requests_with_one_key_queue_one_job()
    {
        var accounts = await portal.AccountsAsync();
        using var client = portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));
        string key = "burst-" + Guid.NewGuid().ToString("N");

        HttpResponseMessage[] responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => SubmitAsync(client, key, "burst")));

        try
        {
            Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Created);
            Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, r.StatusCode.ToString()));
            Assert.Equal(1, await portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync(j => j.IdempotencyKey == key)));
        }
        finally
        {
            foreach (var response in responses)
            {
                response.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_key_with_a_space_is_400_naming_the_header_and_queues_nothing()
    {
        const string key = "has space";
        var accounts = await portal.AccountsAsync();
        using var client = portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));
        int before = await portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync());

        using var response = await SubmitAsync(client, key, "bad-key");

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.NotEmpty(ProblemAssert.Errors(problem, "Idempotency-Key"));
        Assert.Equal(before, await portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync()));
    }

    [Fact]
    public async Task A_key_of_101_characters_is_refused()
    {
        var accounts = await portal.AccountsAsync();
        using var client = portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));

        using var response = await SubmitAsync(client, new string('k', 101), "long-key");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Posting_the_launch_form_twice_with_its_key_leads_to_one_job()
    {
        var accounts = await portal.AccountsAsync();
        using var browser = portal.CreatePortalClient();
        using (var login = await browser.LoginAsync(accounts.Alice.UserName!, TestNames.Password))
        {
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        }

        string page = await browser.PageAsync("/jobs/new");
        string key = System.Text.RegularExpressions.Regex.Match(page, "name=\"Form.SubmissionKey\" value=\"([^\"]+)\"").Groups[1].Value;
        Assert.StartsWith("form-", key, StringComparison.Ordinal);

        using var first = await PostLaunchFormAsync(browser, key);
        using var second = await PostLaunchFormAsync(browser, key);

        Assert.Equal(HttpStatusCode.Redirect, first.StatusCode);
        Assert.StartsWith("/jobs/", first.RedirectPath(), StringComparison.Ordinal);
        Assert.Equal(first.RedirectPath(), second.RedirectPath());
        Assert.Equal(1, await portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync(j => j.IdempotencyKey == key)));
    }

    private static Task<HttpResponseMessage> SubmitAsync(HttpClient client, string key, string name)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/jobs")
        {
            Content = JsonContent.Create(new SubmitJobRequest { Name = name, Image = "localhost/busybox:latest", Gpus = 0 }),
        };
        request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        return client.SendAsync(request);
    }

    private static Task<HttpResponseMessage> PostLaunchFormAsync(PortalClient browser, string key) =>
        browser.PostFormAsync("/jobs/new", "launch",
        [
            new("Form.SubmissionKey", key), new("Form.Name", "twice"), new("Form.Image", "localhost/busybox:latest"),
            new("Form.Command", ""), new("Form.Gpus", "0"), new("Form.Cpus", "1"), new("Form.MemoryMiB", "512"),
            new("Form.Walltime", "10"), new("Form.Environment", ""), new("Form.WorkingDirectory", ""), new("Form.Mounts", ""),
        ]);
}
