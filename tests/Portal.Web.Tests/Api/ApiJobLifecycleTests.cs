using System.Net;
using System.Net.Http.Json;
using Portal.Api.Contracts;
using Portal.Core.Jobs;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.Api;

/// <summary>
/// The API against real PostgreSQL and the real launcher: jobs run as rootless containers of the fixture's users,
/// their output is read through the launcher, cancels stop real containers.
/// </summary>
[Collection(JobHostGroup.Name)]
public sealed class ApiJobLifecycleTests(JobHostFixture fixture) : IAsyncLifetime
{
    private JobTestContext _context = null!;
    private ApiJobPortal _portal = null!;
    private HttpClient _alice = null!;
    private HttpClient _bob = null!;

    public async Task InitializeAsync()
    {
        _context = await JobTestContext.CreateAsync(fixture, gpus: 1);
        _portal = new ApiJobPortal(_context.Db.ConnectionString, fixture.LauncherPath).Start();
        _alice = _portal.ApiClient(await _portal.TokenAsync(_context.Accounts[fixture.Alice.Name], ApiScopes.JobsRead, ApiScopes.JobsWrite));
        _bob = _portal.ApiClient(await _portal.TokenAsync(_context.Accounts[fixture.Bob.Name], ApiScopes.JobsRead, ApiScopes.JobsWrite));
    }

    public async Task DisposeAsync()
    {
        _alice.Dispose();
        _bob.Dispose();
        await _portal.DisposeAsync();
        await _context.DisposeAsync();
    }

    [Fact]
    public async Task A_submitted_job_runs_its_output_streams_to_the_end_and_its_exit_code_is_recorded()
    {
        var id = await SubmitAsync(_alice, ["sh", "-c", "echo one; sleep 1; echo two; exit 3"]);

        using var response = await _alice.GetAsync($"/api/v1/jobs/{id}/logs?follow=true", HttpCompletionOption.ResponseHeadersRead);
        var output = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("one\ntwo\n", output);
        var job = await WaitForFinalAsync(_alice, id);
        Assert.Equal(JobStates.Failed, job.State);
        Assert.Equal(3, job.ExitCode);
        Assert.Contains(job.History, h => h.State == JobStates.Running);
    }

    [Fact]
    public async Task A_job_over_its_memory_is_OOM_killed_in_its_own_cgroup_and_fails_out_of_memory_while_another_users_job_runs_on()
    {
        var bobs = await SubmitAsync(_bob, ["sh", "-c", "until [ -e /tmp/done ]; do sleep 0.2; done"]);
        await Eventually.UntilAsync(async () => (await _bob.GetFromJsonAsync<JobResponse>($"/api/v1/jobs/{bobs}"))!, j => j.State == JobStates.Running,
            TimeSpan.FromSeconds(60), $"Bob's job {bobs} to run");

        // dd's 200 MiB buffer, in a 64 MiB job.
        var alices = await SubmitAsync(_alice, ["dd", "if=/dev/zero", "of=/dev/null", "bs=200M", "count=1"], memoryMiB: 64);
        var job = await WaitForFinalAsync(_alice, alices);

        Assert.Equal(JobStates.Failed, job.State);
        Assert.Equal("out of memory: limit 64 MiB", job.History[^1].Detail);
        Assert.Equal(137, job.ExitCode);
        Assert.NotNull(job.Usage);
        Assert.True(job.Usage.OomKills >= 1, job.Usage.ToString());
        Assert.True(job.Usage.CpuSeconds > 0, job.Usage.ToString());
        Assert.True(job.Usage.PeakMemoryBytes is > 32L << 20 and <= 64L << 20, job.Usage.ToString());

        var bob = (await _bob.GetFromJsonAsync<JobResponse>($"/api/v1/jobs/{bobs}"))!;
        Assert.Equal(JobStates.Running, bob.State);
        Assert.Null(bob.Usage);
        var done = await JobHostFixture.PodmanAsync(fixture.Bob, "exec", "portal-job-" + JobRunnerTests.Key(bobs), "touch", "/tmp/done");
        Assert.True(done.ExitCode == 0, done.ToString());
        var bobEnded = await WaitForFinalAsync(_bob, bobs);
        Assert.Equal(JobStates.Succeeded, bobEnded.State);
        Assert.Equal(0, bobEnded.Usage!.OomKills);
    }

    [Fact]
    public async Task Logs_resume_from_an_offset_and_as_server_sent_events_from_Last_Event_ID()
    {
        var id = await SubmitAsync(_alice, ["sh", "-c", "echo a; echo b; echo c"]);
        await WaitForFinalAsync(_alice, id);

        var rest = await _alice.GetStringAsync($"/api/v1/jobs/{id}/logs?offset=1");
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/jobs/{id}/logs");
        request.Headers.Accept.ParseAdd("text/event-stream");
        request.Headers.Add("Last-Event-ID", "2");
        using var events = await _alice.SendAsync(request);

        Assert.Equal("b\nc\n", rest);
        Assert.Equal("text/event-stream", events.Content.Headers.ContentType?.MediaType);
        Assert.Equal("id: 3\ndata: c\n\n", await events.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Logs_carry_stderr_in_order_marked_in_json_with_times_on_demand_and_a_printed_frame_stays_stdout()
    {
        // The pauses are the job's: podman records its stdout and stderr pipes apart, so writes in the same instant
        // have no order to keep.
        var id = await SubmitAsync(_alice, ["sh", "-c", $"echo to-stdout; sleep 0.5; echo to-stderr >&2; sleep 0.5; echo to-stdout; echo '{ForgedFrame}'"]);
        await WaitForFinalAsync(_alice, id);

        var text = await _alice.GetStringAsync($"/api/v1/jobs/{id}/logs");
        var timed = await _alice.GetStringAsync($"/api/v1/jobs/{id}/logs?timestamps=true");
        using var json = await _alice.GetAsync($"/api/v1/jobs/{id}/logs?format=json");
        var lines = (await json.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => System.Text.Json.JsonSerializer.Deserialize(l, ApiJsonContext.Default.JobLogLineResponse)!).ToList();
        using var bad = await _alice.GetAsync($"/api/v1/jobs/{id}/logs?format=xml");

        Assert.Equal($"to-stdout\nto-stderr\nto-stdout\n{ForgedFrame}\n", text);
        Assert.Matches(@"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z (to-stdout|to-stderr|e 2026.*)\n){4}$", timed);
        Assert.Equal("application/x-ndjson", json.Content.Headers.ContentType?.MediaType);
        Assert.Equal([(1, "stdout", "to-stdout"), (2, "stderr", "to-stderr"), (3, "stdout", "to-stdout"), (4, "stdout", ForgedFrame)],
            lines.Select(l => (l.Line, l.Stream, l.Text)));
        Assert.All(lines, l => Assert.NotNull(l.Time));
        Assert.True(string.CompareOrdinal(lines[0].Time, lines[1].Time) < 0 && string.CompareOrdinal(lines[1].Time, lines[2].Time) < 0);
        await ProblemAssert.IsProblemAsync(bad, HttpStatusCode.BadRequest);
    }

    /// <summary>What a job may print to try to pass a stdout line off as stderr: the launcher's own frame.</summary>
    internal const string ForgedFrame = "e 2026-01-01T00:00:00.000000000Z forged-stderr";

    [Fact]
    public async Task Following_a_queued_job_waits_for_it_to_start()
    {
        // Two one-GPU jobs on a one-GPU box: the second waits for the first.
        var first = await SubmitAsync(_alice, ["sh", "-c", "sleep 2; echo first"], gpus: 1);
        var second = await SubmitAsync(_alice, ["sh", "-c", "echo second"], gpus: 1);

        using var response = await _alice.GetAsync($"/api/v1/jobs/{second}/logs?follow=true", HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal("second\n", await response.Content.ReadAsStringAsync());
        Assert.Equal(JobStates.Succeeded, (await WaitForFinalAsync(_alice, first)).State);
        Assert.Equal(JobStates.Succeeded, (await WaitForFinalAsync(_alice, second)).State);
    }

    [Fact]
    public async Task Cancelling_a_running_job_stops_its_container_and_a_second_cancel_is_a_conflict()
    {
        var id = await SubmitAsync(_alice, ["sleep", "300"]);
        await _context.WaitForStateAsync(id, JobState.Running);

        using var cancelled = await _alice.PostAsync($"/api/v1/jobs/{id}/cancel", null);
        var job = await cancelled.Content.ReadFromJsonAsync<JobResponse>();
        using var again = await _alice.PostAsync($"/api/v1/jobs/{id}/cancel", null);

        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal(JobStates.Cancelled, job!.State);
        var state = await JobHostFixture.PodmanAsync(fixture.Alice, "inspect", "--format", "{{.State.Status}}", $"portal-job-{id}");
        Assert.Equal("exited", state.Stdout.Trim());
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Another_users_job_is_404_on_get_logs_and_cancel_and_keeps_running()
    {
        var id = await SubmitAsync(_alice, ["sleep", "300"]);
        await _context.WaitForStateAsync(id, JobState.Running);

        using var get = await _bob.GetAsync($"/api/v1/jobs/{id}");
        using var logs = await _bob.GetAsync($"/api/v1/jobs/{id}/logs?follow=true");
        using var cancel = await _bob.PostAsync($"/api/v1/jobs/{id}/cancel", null);
        var bobsList = await _bob.GetFromJsonAsync<JobListResponse>("/api/v1/jobs?take=500");

        foreach (var response in new[] { get, logs, cancel })
        {
            var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
            Assert.DoesNotContain("sleep", problem.ToString(), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(bobsList!.Items, j => j.Id == id);
        Assert.Equal(JobState.Running, (await _context.RowAsync(id)).State);
        using var own = await _alice.PostAsync($"/api/v1/jobs/{id}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
    }

    [Fact]
    public async Task The_GPU_list_names_the_job_holding_each_GPU_and_the_quota_counts_it()
    {
        var id = await SubmitAsync(_alice, ["sleep", "300"], gpus: 1);
        await _context.WaitForStateAsync(id, JobState.Running);

        var gpus = await _bob.GetFromJsonAsync<GpuListResponse>("/api/v1/gpus");
        var quota = await _alice.GetFromJsonAsync<QuotaUsageResponse>("/api/v1/quota");

        var gpu = Assert.Single(gpus!.Gpus);
        Assert.Equal(JobHostFixture.GpuUuids[0], gpu.Uuid);
        Assert.Equal(id, gpu.Holder?.JobId);
        Assert.Equal(fixture.Alice.Name, gpu.Holder?.Owner);
        Assert.Equal(1, quota!.RunningGpus);
        Assert.Equal(1, quota.RunningJobs);
        Assert.True(quota.Limits.MaxConcurrentGpus >= 1);
    }

    [Fact]
    public async Task Listing_filters_by_state_and_pages_newest_first()
    {
        var ids = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add(await SubmitAsync(_alice, ["true"]));
        }

        foreach (var id in ids)
        {
            await WaitForFinalAsync(_alice, id);
        }

        var firstPage = await _alice.GetFromJsonAsync<JobListResponse>("/api/v1/jobs?take=2&state=Succeeded");
        var secondPage = await _alice.GetFromJsonAsync<JobListResponse>("/api/v1/jobs?take=2&skip=2&state=succeeded,failed");
        var running = await _alice.GetFromJsonAsync<JobListResponse>("/api/v1/jobs?state=Running");

        Assert.Equal(3, firstPage!.Total);
        Assert.Equal([ids[2], ids[1]], firstPage.Items.Select(j => j.Id));
        Assert.Equal([ids[0]], secondPage!.Items.Select(j => j.Id));
        Assert.Empty(running!.Items);
    }

    private static async Task<long> SubmitAsync(HttpClient client, IReadOnlyList<string> command, int gpus = 0, long memoryMiB = 512)
    {
        using var response = await client.PostAsJsonAsync("/api/v1/jobs", new SubmitJobRequest
        {
            Name = "api-test", Image = JobHostFixture.Image, Command = command, Gpus = gpus, MemoryMiB = memoryMiB, WalltimeMinutes = 10,
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<SubmitJobResponse>())!.Id;
    }

    private static Task<JobResponse> WaitForFinalAsync(HttpClient client, long id) =>
        Eventually.UntilAsync(async () => (await client.GetFromJsonAsync<JobResponse>($"/api/v1/jobs/{id}"))!, j => j.IsFinal,
            TimeSpan.FromSeconds(60), $"job {id} to end");
}
