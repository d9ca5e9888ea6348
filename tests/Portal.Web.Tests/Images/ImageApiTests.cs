using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Portal.Api.Contracts;
using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Data.Quotas;
using Portal.Launcher.Protocol;
using Portal.Web.Tests.Api;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.Images;

/// <summary>
/// /api/v1/images against real PostgreSQL, the real launcher and real rootless podman: pulls from the real registry
/// the host's policy allows (<see cref="TestRegistry"/>) into a throwaway user's own storage, jobs that name the image,
/// removes. Each test removes what it pulled, also when it fails.
/// </summary>
[Collection(JobHostGroup.Name)]
public sealed class ImageApiTests(JobHostFixture fixture) : IAsyncLifetime
{
    private JobTestContext _context = null!;
    private ApiJobPortal _portal = null!;
    private HttpClient _alice = null!;

    public async Task InitializeAsync()
    {
        _context = await JobTestContext.CreateAsync(fixture, gpus: 0);
        _portal = new ApiJobPortal(_context.Db.ConnectionString, fixture.LauncherPath).Start();
        _alice = _portal.ApiClient(await _portal.TokenAsync(_context.Accounts[fixture.Alice.Name], ApiScopes.JobsRead, ApiScopes.JobsWrite));
        await RemovePulledAsync();
    }

    public async Task DisposeAsync()
    {
        _alice.Dispose();
        await _portal.DisposeAsync();
        await JobHostFixture.RemoveAllContainersAsync(fixture.Alice);
        await RemovePulledAsync();
        await _context.DisposeAsync();
    }

    [Fact]
    public async Task A_pulled_image_is_listed_with_the_jobs_of_mine_that_name_it_and_a_remove_takes_it_out_audited()
    {
        using var pulled = await _alice.PostAsJsonAsync("/api/v1/images", new PullImageRequest { Reference = TestRegistry.Busybox });
        Assert.True(pulled.StatusCode == HttpStatusCode.OK, await pulled.Content.ReadAsStringAsync());
        var change = (await pulled.Content.ReadFromJsonAsync<ImageChangeResponse>())!;
        var job = await SubmitAsync(["echo", "from the pulled image"]);
        await _context.WaitForStateAsync(job, JobState.Succeeded);

        var list = (await _alice.GetFromJsonAsync<ImageListResponse>("/api/v1/images"))!;

        var image = Assert.Single(list.Images, i => i.Names.Contains(TestRegistry.Busybox));
        Assert.StartsWith(change.ImageId!, image.Id, StringComparison.Ordinal);
        Assert.True(image.SizeBytes > 0);
        Assert.Equal([(job, "image-test", JobStates.Succeeded)], image.UsedBy.Select(j => (j.Id, j.Name, j.State)));
        Assert.DoesNotContain(list.Images.Where(i => i.Names.Contains(JobHostFixture.Image)), i => i.UsedBy.Any(j => j.Id == job));
        Assert.Equal(list.Images.Sum(i => i.SizeBytes ?? 0), list.UseBytes);
        Assert.Equal([TestRegistry.Host], list.Registries);

        // The ended job's container is kept for its log, and podman refuses while it uses the image, in its own words.
        using var inUse = await _alice.DeleteAsync("/api/v1/images?reference=" + Uri.EscapeDataString(TestRegistry.Busybox));
        var problem = await ProblemAssert.IsProblemAsync(inUse, HttpStatusCode.Conflict);
        Assert.Contains("in use", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
        await JobHostFixture.RemoveAllContainersAsync(fixture.Alice);
        using var removed = await _alice.DeleteAsync("/api/v1/images?reference=" + Uri.EscapeDataString(TestRegistry.Busybox));
        Assert.True(removed.StatusCode == HttpStatusCode.OK, await removed.Content.ReadAsStringAsync());
        var after = (await _alice.GetFromJsonAsync<ImageListResponse>("/api/v1/images"))!;
        Assert.DoesNotContain(after.Images, i => i.Names.Contains(TestRegistry.Busybox));
        await using var db = _context.Db.CreateDbContext();
        var audit = await db.AuditEvents.Where(e => e.Action.StartsWith("image.")).OrderBy(e => e.Id)
            .Select(e => new { e.Action, e.Target, e.Succeeded, e.ActorName }).ToListAsync();
        Assert.Equal([("image.pull", TestRegistry.Busybox, true), ("image.remove", TestRegistry.Busybox, false), ("image.remove", TestRegistry.Busybox, true)],
            audit.Select(e => (e.Action, e.Target, e.Succeeded)));
        Assert.All(audit, e => Assert.Equal(fixture.Alice.Name, e.ActorName));
    }

    [Fact]
    public async Task Removing_an_image_is_refused_while_a_running_job_of_mine_names_it_and_allowed_after_it_ended()
    {
        using var pulled = await _alice.PostAsJsonAsync("/api/v1/images", new PullImageRequest { Reference = TestRegistry.Busybox });
        Assert.True(pulled.StatusCode == HttpStatusCode.OK, await pulled.Content.ReadAsStringAsync());
        var job = await SubmitAsync(["sleep", "300"]);
        await _context.WaitForStateAsync(job, JobState.Running);

        using var refused = await _alice.DeleteAsync("/api/v1/images?reference=" + Uri.EscapeDataString(TestRegistry.Busybox));

        var problem = await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Conflict);
        Assert.Contains($"in use by your job {job} (image-test, running)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains((await _alice.GetFromJsonAsync<ImageListResponse>("/api/v1/images"))!.Images, i => i.Names.Contains(TestRegistry.Busybox));

        using var cancel = await _alice.PostAsync($"/api/v1/jobs/{job}/cancel", null);
        await _context.WaitForStateAsync(job, JobState.Cancelled);
        await JobHostFixture.RemoveAllContainersAsync(fixture.Alice);
        using var removed = await _alice.DeleteAsync("/api/v1/images?reference=" + Uri.EscapeDataString(TestRegistry.Busybox));
        Assert.True(removed.StatusCode == HttpStatusCode.OK, await removed.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("docker.io/library/busybox:latest")]
    [InlineData("busybox")]
    [InlineData("127.0.0.1:5999/pweb/busybox:1")]
    [InlineData("docker-archive:/tmp/x.tar")]
    public async Task A_pull_the_rules_refuse_answers_with_the_shared_rules_message_by_the_reference_field(string reference)
    {
        using var response = await _alice.PostAsJsonAsync("/api/v1/images", new PullImageRequest { Reference = reference });

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal([ImageRules.PullProblem(reference, [TestRegistry.Host])!], ProblemAssert.Errors(problem, "reference"));
    }

    [Fact]
    public async Task A_read_only_token_lists_but_may_not_pull_or_remove()
    {
        using var reader = _portal.ApiClient(await _portal.TokenAsync(_context.Accounts[fixture.Alice.Name], ApiScopes.JobsRead));

        using var list = await reader.GetAsync("/api/v1/images");
        using var pull = await reader.PostAsJsonAsync("/api/v1/images", new PullImageRequest { Reference = TestRegistry.Busybox });
        using var remove = await reader.DeleteAsync("/api/v1/images?reference=" + Uri.EscapeDataString(JobHostFixture.Image));

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, pull.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, remove.StatusCode);
    }

    [Fact]
    public async Task Removing_an_image_I_do_not_have_answers_404()
    {
        using var response = await _alice.DeleteAsync("/api/v1/images?reference=" + Uri.EscapeDataString(TestRegistry.Host + "/pweb/none:1"));

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.NotFound);
        Assert.Equal($"You have no image {TestRegistry.Host}/pweb/none:1.", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_pull_is_refused_up_front_at_the_limit_and_one_that_goes_past_it_is_kept_but_stops_further_pulls()
    {
        var quotas = new QuotaStore(_context.Db, TimeProvider.System);
        var alice = _context.Accounts[fixture.Alice.Name];
        var use = (await _alice.GetFromJsonAsync<ImageListResponse>("/api/v1/images"))!.UseBytes;
        Assert.True(use > 0, "the fixture's busybox image is in Alice's storage");

        // At the limit: refused before the launcher is asked, and the registry never sees a request for it.
        await quotas.SetUserOverrideAsync(alice, new QuotaPolicy { MaxImageGiB = (double)use / (1L << 30) });
        using var atLimit = await _alice.PostAsJsonAsync("/api/v1/images", new PullImageRequest { Reference = TestRegistry.Busybox });
        var refused = await ProblemAssert.IsProblemAsync(atLimit, HttpStatusCode.Conflict);
        Assert.Contains("remove some before you pull another", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain((await _alice.GetFromJsonAsync<ImageListResponse>("/api/v1/images"))!.Images, i => i.Names.Contains(TestRegistry.Busybox));

        // One byte of room: the pull goes through and past the limit; the image stays, the next pull is refused.
        await quotas.SetUserOverrideAsync(alice, new QuotaPolicy { MaxImageGiB = (double)(use + 1) / (1L << 30) });
        using var past = await _alice.PostAsJsonAsync("/api/v1/images", new PullImageRequest { Reference = TestRegistry.Busybox });
        Assert.True(past.StatusCode == HttpStatusCode.OK, await past.Content.ReadAsStringAsync());
        var change = (await past.Content.ReadFromJsonAsync<ImageChangeResponse>())!;
        var list = (await _alice.GetFromJsonAsync<ImageListResponse>("/api/v1/images"))!;
        using var next = await _alice.PostAsJsonAsync("/api/v1/images", new PullImageRequest { Reference = TestRegistry.Busybox });

        Assert.True(change.OverLimit, change.Message);
        Assert.Contains("over your limit", change.Message, StringComparison.Ordinal);
        Assert.True(list.OverLimit);
        Assert.Equal(use + 1, list.LimitBytes);
        Assert.Contains(list.Images, i => i.Names.Contains(TestRegistry.Busybox));
        await ProblemAssert.IsProblemAsync(next, HttpStatusCode.Conflict);
    }

    private async Task<long> SubmitAsync(IReadOnlyList<string> command)
    {
        using var response = await _alice.PostAsJsonAsync("/api/v1/jobs", new SubmitJobRequest
        {
            Name = "image-test", Image = TestRegistry.Busybox, Command = command, Gpus = 0, MemoryMiB = 256, WalltimeMinutes = 10,
        });
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<SubmitJobResponse>())!.Id;
    }

    private async Task RemovePulledAsync() => await JobHostFixture.PodmanAsync(fixture.Alice, "rmi", "--ignore", TestRegistry.Busybox);
}
