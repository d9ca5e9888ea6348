using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Portal.Api.Contracts;
using Portal.Core.Quotas;
using Portal.Data.Audit;
using Portal.Data.Quotas;
using Portal.Web.Tests.Api;
using Portal.Web.Tests.Cli;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.Images;

/// <summary>
/// POST /api/v1/images/build and <c>portal image build</c> against the real portal, PostgreSQL and the real launcher:
/// a Containerfile in Alice's home builds into her own rootless storage, the log streams as NDJSON, the build is
/// audited; a bad folder, tag or Containerfile name is a 400 naming the field before anything runs.
/// </summary>
[Collection(JobHostGroup.Name)]
public sealed class ImageBuildApiTests(JobHostFixture fixture) : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(fixture.Alice.Home, "pweb-build-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string _name = "pweb-build-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _config = Directory.CreateTempSubdirectory("portal-cli-build-").FullName;
    private JobTestContext _context = null!;
    private ApiJobPortal _portal = null!;
    private string _token = null!;
    private HttpClient _alice = null!;

    public async Task InitializeAsync()
    {
        _context = await JobTestContext.CreateAsync(fixture, gpus: 0);
        _portal = new ApiJobPortal(_context.Db.ConnectionString, fixture.LauncherPath).Start();
        _token = await _portal.TokenAsync(_context.Accounts[fixture.Alice.Name], ApiScopes.JobsRead, ApiScopes.JobsWrite);
        _alice = _portal.ApiClient(_token);
        Directory.CreateDirectory(_folder);
        await File.WriteAllTextAsync(Path.Combine(_folder, "Containerfile"), $"FROM {JobHostFixture.Image}\nRUN echo built-through-the-portal > /x\nCMD [\"cat\", \"/x\"]\n");
        await Sh.CheckedAsync("/usr/bin/chown", "-R", $"{fixture.Alice.Uid}:{fixture.Alice.Gid}", _folder);
    }

    public async Task DisposeAsync()
    {
        _alice.Dispose();
        await _portal.DisposeAsync();
        await _context.DisposeAsync();
        await JobHostFixture.PodmanAsync(fixture.Alice, "image", "rm", "--force", $"localhost/{_name}:api", $"localhost/{_name}:cli");
        Directory.Delete(_folder, recursive: true);
        Directory.Delete(_config, recursive: true);
    }

    [Fact]
    public async Task A_build_streams_its_log_as_ndjson_ends_with_the_image_id_is_audited_and_the_image_runs()
    {
        using var response = await _alice.PostAsJsonAsync("/api/v1/images/build", new ImageBuildRequest(_folder, _name + ":api"), ApiJsonContext.Default.ImageBuildRequest);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var events = lines.Select(l => JsonSerializer.Deserialize(l, ApiJsonContext.Default.ImageBuildEvent)!).ToList();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(events, e => e is { Type: ImageBuildEventTypes.Log, Stream: JobLogStreams.Stdout } && e.Text!.StartsWith("STEP 2/3: RUN echo", StringComparison.Ordinal));
        var last = events[^1];
        Assert.True(last.Type == ImageBuildEventTypes.Succeeded, string.Join('\n', lines));
        Assert.Equal($"localhost/{_name}:api", last.Image);
        Assert.Matches("^[0-9a-f]{64}$", last.ImageId);
        var run = await JobHostFixture.PodmanAsync(fixture.Alice, "run", "--rm", $"localhost/{_name}:api");
        Assert.Equal("built-through-the-portal", run.Stdout.Trim());
        var audit = await _portal.Services.GetRequiredService<AuditStore>().ListAsync(new AuditQuery(Action: "image.build"));
        Assert.Contains(audit, a => a.Succeeded && a.Target == $"localhost/{_name}:api" && a.Detail!.Contains(last.ImageId!, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/etc", "x", null, "context")]
    [InlineData("{home}/../root", "x", null, "context")]
    [InlineData("{home}", "MyImage", null, "tag")]
    [InlineData("{home}", "-t", null, "tag")]
    [InlineData("{home}", "quay.io/evil/x", null, "tag")]
    [InlineData("{home}", "docker://x", null, "tag")]
    [InlineData("{home}", "x", "../Containerfile", "containerfile")]
    public async Task A_bad_folder_tag_or_containerfile_is_a_400_naming_the_field_and_nothing_is_built(string folder, string tag, string? file, string field)
    {
        var request = new ImageBuildRequest(folder.Replace("{home}", fixture.Alice.Home, StringComparison.Ordinal), tag, file);

        using var response = await _alice.PostAsJsonAsync("/api/v1/images/build", request, ApiJsonContext.Default.ImageBuildRequest);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        var audit = await _portal.Services.GetRequiredService<AuditStore>().ListAsync(new AuditQuery(Action: "image.build"));
        Assert.Empty(audit);
    }

    [Fact]
    public async Task A_build_at_the_image_limit_is_a_409_as_a_pull_is_and_nothing_is_built()
    {
        var use = (await _alice.GetFromJsonAsync<ImageListResponse>("/api/v1/images"))!.UseBytes;
        Assert.True(use > 0, "the fixture's busybox image is in Alice's storage");
        await new QuotaStore(_context.Db, TimeProvider.System)
            .SetUserOverrideAsync(_context.Accounts[fixture.Alice.Name], new QuotaPolicy { MaxImageGiB = (double)use / (1L << 30) });

        using var response = await _alice.PostAsJsonAsync("/api/v1/images/build", new ImageBuildRequest(_folder, _name + ":api"), ApiJsonContext.Default.ImageBuildRequest);

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict);
        Assert.Contains("remove some before you build another", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var images = (await _alice.GetFromJsonAsync<ImageListResponse>("/api/v1/images"))!.Images;
        Assert.DoesNotContain(images, i => i.Names.Contains($"localhost/{_name}:api"));
        Assert.Empty(await _portal.Services.GetRequiredService<AuditStore>().ListAsync(new AuditQuery(Action: "image.build")));
    }

    [Fact]
    public async Task A_token_without_the_write_scope_cannot_build()
    {
        using var reader = _portal.ApiClient(await _portal.TokenAsync(_context.Accounts[fixture.Alice.Name], ApiScopes.JobsRead));

        using var response = await reader.PostAsJsonAsync("/api/v1/images/build", new ImageBuildRequest(_folder, _name + ":api"), ApiJsonContext.Default.ImageBuildRequest);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Portal_image_build_streams_the_log_and_says_what_it_built()
    {
        var login = await CliProcess.RunAsync(_config, _token, "login", "--url", _portal.BaseAddress.ToString().TrimEnd('/'));
        Assert.True(login.ExitCode == 0, login.ToString());

        var build = await CliProcess.RunAsync(_config, null, "image", "build", _folder, "-t", _name + ":cli");
        var refused = await CliProcess.RunAsync(_config, null, "image", "build", _folder, "-t", "Upper");

        Assert.True(build.ExitCode == 0, build.ToString());
        Assert.Contains("STEP 2/3: RUN echo built-through-the-portal > /x", build.Stdout, StringComparison.Ordinal);
        Assert.Matches($"Built localhost/{_name}:cli \\([0-9a-f]{{64}}\\)\\.", build.Stdout);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("is not NAME[:TAG]", refused.Stderr, StringComparison.Ordinal);
    }
}
