using System.Net;
using System.Net.Http.Json;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Portal.Api.Contracts;
using Portal.Data.Entities.Jobs;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Api;

/// <summary>Malformed and invalid requests: every one is answered with Problem Details naming the problem, never
/// a 500 and never a queued job.</summary>
public sealed class ApiValidationTests(ApiPortalFactory portal) : IClassFixture<ApiPortalFactory>
{
    public static TheoryData<string, string, string> MalformedBodies => new()
    {
        { "{", "application/json", "" },
        { "", "application/json", "" },
        { "null", "application/json", "" },
        { "[1,2]", "application/json", "" },
        { "\"just a string\"", "application/json", "" },
        { "{\"name\":\"x\",\"image\":\"localhost/a:1\",\"gpus\":\"two\"}", "application/json", "gpus" },
        { "{\"name\":\"x\",\"image\":\"localhost/a:1\",\"gpus\":1e99}", "application/json", "gpus" },
        { "{\"name\":\"x\",\"image\":\"localhost/a:1\",\"memoryMiB\":-1.5}", "application/json", "memoryMiB" },
        { "{\"name\":\"x\",\"image\":\"localhost/a:1\",\"command\":\"echo hi\"}", "application/json", "command" },
        { "{\"name\":\"x\",\"image\":\"localhost/a:1\",\"command\":[1,2]}", "application/json", "command[0]" },
        { "{\"name\":\"x\",\"image\":\"localhost/a:1\",\"environment\":{\"A\":1}}", "application/json", "environment.A" },
        { "{\"name\":\"x\",\"image\":\"localhost/a:1\",\"mounts\":[{\"source\":1}]}", "application/json", "mounts[0].source" },
        { "{\"name\":\"x\",\"image\":\"localhost/a:1\",\"mounts\":[{}]}", "application/json", "mounts" },
    };

    [Fact]
    public async Task Keeping_a_session_needs_a_reason_and_a_running_session_of_ones_own()
    {
        using var client = await AliceAsync();

        using var noReason = await client.PostAsJsonAsync("/api/v1/jobs/987654321/keep", new KeepSessionRequest { Reason = "  " });
        using var noSession = await client.PostAsJsonAsync("/api/v1/jobs/987654321/keep", new KeepSessionRequest { Reason = "training" });
        using var noStatus = await client.GetAsync("/api/v1/jobs/987654321/idle");

        Assert.NotEmpty(ProblemAssert.Errors(await ProblemAssert.IsProblemAsync(noReason, HttpStatusCode.BadRequest), "reason"));
        await ProblemAssert.IsProblemAsync(noSession, HttpStatusCode.NotFound);
        await ProblemAssert.IsProblemAsync(noStatus, HttpStatusCode.NotFound);
    }

    [Theory]
    [MemberData(nameof(MalformedBodies))]
    public async Task A_malformed_submit_body_is_400_Problem_Details_naming_the_field(string body, string contentType, string field)
    {
        using var client = await AliceAsync();
        var before = await JobCountAsync();

        using var response = await client.PostAsync("/api/v1/jobs", new StringContent(body, Encoding.UTF8, contentType));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.NotEmpty(ProblemAssert.Errors(problem, field));
        Assert.Equal(before, await JobCountAsync());
    }

    [Fact]
    public async Task A_body_that_is_not_JSON_is_415()
    {
        using var client = await AliceAsync();

        using var response = await client.PostAsync("/api/v1/jobs", new StringContent("name=x", Encoding.UTF8, "application/x-www-form-urlencoded"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task A_body_over_a_MiB_is_413()
    {
        using var client = await AliceAsync();
        var huge = "{\"name\":\"x\",\"image\":\"localhost/a:1\",\"command\":[\"" + new string('a', 2 * 1024 * 1024) + "\"]}";

        using var response = await client.PostAsync("/api/v1/jobs", new StringContent(huge, Encoding.UTF8, "application/json"));

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Field_errors_are_worded_exactly_as_on_the_launch_form()
    {
        var accounts = await portal.AccountsAsync();
        using var client = portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));
        using var browser = portal.CreatePortalClient();
        using (var login = await browser.LoginAsync(accounts.Alice.UserName!, TestNames.Password))
        {
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        }

        using var response = await client.PostAsJsonAsync("/api/v1/jobs", new SubmitJobRequest
        {
            Name = "bad name!",
            Image = "-privileged",
            Gpus = 0,
            Cpus = 0,
            MemoryMiB = 0,
            WalltimeMinutes = 0,
            WorkingDirectory = "relative/dir",
        });
        using var form = await browser.PostFormAsync("/jobs/new", "launch",
        [
            new("Form.Name", "bad name!"), new("Form.Image", "-privileged"), new("Form.Command", ""), new("Form.Gpus", "0"),
            new("Form.Cpus", "0"), new("Form.MemoryMiB", "0"), new("Form.Walltime", "0"), new("Form.Environment", ""),
            new("Form.WorkingDirectory", "relative/dir"), new("Form.Mounts", ""),
        ]);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        var page = WebUtility.HtmlDecode(await form.Content.ReadAsStringAsync());
        foreach (var field in new[] { "name", "image", "cpus", "memoryMiB", "walltimeMinutes", "workingDirectory" })
        {
            var messages = ProblemAssert.Errors(problem, field);
            Assert.NotEmpty(messages);
            Assert.All(messages, m => Assert.Contains(m, page, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Quota_refusals_name_the_limit_as_the_form_does()
    {
        using var client = await AliceAsync();

        using var response = await client.PostAsJsonAsync("/api/v1/jobs", new SubmitJobRequest
        {
            Name = "greedy", Image = "localhost/busybox:latest", Cpus = 100_000, WalltimeMinutes = 60 * 24 * 365,
        });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(ProblemAssert.Errors(problem, "cpus"), m => m.Contains("your limit is", StringComparison.Ordinal));
        Assert.Contains(ProblemAssert.Errors(problem, "walltimeMinutes"), m => m.Contains("your limit is", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_restartable_session_is_refused_on_the_restartable_field()
    {
        using var client = await AliceAsync();

        using var response = await client.PostAsJsonAsync("/api/v1/jobs", new SubmitJobRequest
        {
            Name = "notebook", Image = "localhost/busybox:latest", Session = new SessionRequest(SessionKinds.Jupyter), Restartable = true,
        });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(ProblemAssert.Errors(problem, "restartable"), m => m.StartsWith("Sessions and apps cannot be restartable", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Asking_for_a_number_and_specific_GPUs_at_once_is_refused()
    {
        using var client = await AliceAsync();

        using var response = await client.PostAsJsonAsync("/api/v1/jobs", new SubmitJobRequest
        {
            Name = "both", Image = "localhost/busybox:latest", Gpus = 1, GpuUuids = ["GPU-x"],
        });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.NotEmpty(ProblemAssert.Errors(problem, "gpus"));
    }

    [Fact]
    public async Task A_user_may_not_pick_GPUs_or_set_a_priority()
    {
        using var client = await AliceAsync();

        using var response = await client.PostAsJsonAsync("/api/v1/jobs", new SubmitJobRequest
        {
            Name = "pick", Image = "localhost/busybox:latest", GpuUuids = ["GPU-x"], Priority = 5,
        });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains("Only administrators can pick specific GPUs; ask for a number of GPUs instead.", ProblemAssert.Errors(problem, "gpuUuids"));
        Assert.Contains("Only administrators can set a priority.", ProblemAssert.Errors(problem, "priority"));
    }

    [Theory]
    [InlineData("/api/v1/jobs?take=0", "take")]
    [InlineData("/api/v1/jobs?take=501", "take")]
    [InlineData("/api/v1/jobs?skip=-1", "skip")]
    [InlineData("/api/v1/jobs?skip=abc", "skip")]
    [InlineData("/api/v1/jobs?state=Sleeping", "state")]
    [InlineData("/api/v1/jobs?state=1", "state")]
    [InlineData("/api/v1/jobs/1/logs?follow=maybe", "follow")]
    [InlineData("/api/v1/jobs/1/logs?offset=-3", "offset")]
    public async Task A_bad_query_parameter_is_400_naming_it(string path, string field)
    {
        using var client = await AliceAsync();

        using var response = await client.GetAsync(path);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.NotEmpty(ProblemAssert.Errors(problem, field));
    }

    [Theory]
    [InlineData("GET", "/api/v1/no-such-thing", HttpStatusCode.NotFound)]
    [InlineData("GET", "/api/v2/jobs", HttpStatusCode.NotFound)]
    [InlineData("GET", "/api/v1/jobs/not-a-number", HttpStatusCode.NotFound)]
    [InlineData("GET", "/api/v1/jobs/999999999", HttpStatusCode.NotFound)]
    [InlineData("DELETE", "/api/v1/jobs", HttpStatusCode.MethodNotAllowed)]
    [InlineData("PUT", "/api/v1/jobs/1/cancel", HttpStatusCode.MethodNotAllowed)]
    public async Task Unknown_routes_methods_and_jobs_are_Problem_Details_too(string method, string path, HttpStatusCode status)
    {
        using var client = await AliceAsync();

        using var response = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        await ProblemAssert.IsProblemAsync(response, status);
    }

    [Fact]
    public async Task A_submission_that_passes_validation_is_queued_and_readable()
    {
        using var client = await AliceAsync();

        using var response = await client.PostAsJsonAsync("/api/v1/jobs", new SubmitJobRequest
        {
            Name = "fine", Image = "localhost/busybox:latest", Command = ["echo", "a b", "$HOME"], Environment = new Dictionary<string, string> { ["A"] = "1" },
        });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<SubmitJobResponse>();
        Assert.Equal($"/api/v1/jobs/{created!.Id}", response.Headers.Location?.OriginalString);
        var job = await client.GetFromJsonAsync<JobResponse>(response.Headers.Location);
        Assert.Equal(["echo", "a b", "$HOME"], job!.Command);
        Assert.Equal("1", job.Environment["A"]);
        // The launch form's defaults fill what the request left out.
        Assert.Equal(60, job.WalltimeMinutes);
        Assert.Equal(4096, job.MemoryMiB);
    }

    private async Task<HttpClient> AliceAsync()
    {
        var accounts = await portal.AccountsAsync();
        return portal.ApiClient(await portal.TokenAsync(accounts.Alice, TestScopes.ReadWrite));
    }

    private Task<int> JobCountAsync() => portal.WithDbAsync(db => db.Set<JobRecord>().CountAsync());
}
