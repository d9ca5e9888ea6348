using System.Text.Json;
using Portal.Api.Contracts;
using Portal.Launcher.Protocol;
using Portal.Web.Tests.Api;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.Cli;

/// <summary>
/// <c>portal images</c>, <c>portal image pull</c> and <c>portal image rm</c> as a process against a running portal, the
/// real launcher and the real registry the host's policy allows.
/// </summary>
[Collection(JobHostGroup.Name)]
public sealed class ImageCliTests(JobHostFixture fixture) : IAsyncLifetime
{
    private readonly string _config = Directory.CreateTempSubdirectory("portal-cli-test-").FullName;
    private JobTestContext _context = null!;
    private ApiJobPortal _portal = null!;

    public async Task InitializeAsync()
    {
        await RemovePulledAsync();
        _context = await JobTestContext.CreateAsync(fixture, gpus: 0);
        _portal = new ApiJobPortal(_context.Db.ConnectionString, fixture.LauncherPath).Start();
        var token = await _portal.TokenAsync(_context.Accounts[fixture.Alice.Name], ApiScopes.JobsRead, ApiScopes.JobsWrite);
        var login = await CliProcess.RunAsync(_config, token, "login", "--url", _portal.BaseAddress.ToString().TrimEnd('/'));
        Assert.True(login.ExitCode == 0, login.ToString());
    }

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _context.DisposeAsync();
        await RemovePulledAsync();
        Directory.Delete(_config, recursive: true);
    }

    [Fact]
    public async Task Image_pull_lists_and_rm_work_from_the_terminal_and_a_refused_pull_says_why_with_exit_code_1()
    {
        var refused = await RunAsync("image", "pull", "docker.io/library/busybox:latest");
        var pulled = await RunAsync("image", "pull", TestRegistry.Busybox);
        var table = await RunAsync("images");
        var json = await RunAsync("images", "--json");
        var removed = await RunAsync("image", "rm", TestRegistry.Busybox);
        var after = await RunAsync("images", "--json");

        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Contains(ImageRules.PullProblem("docker.io/library/busybox:latest", [TestRegistry.Host])!, refused.Stderr, StringComparison.Ordinal);
        Assert.True(pulled.ExitCode == 0, pulled.ToString());
        Assert.StartsWith($"Pulled {TestRegistry.Busybox}. Image id ", pulled.Stdout, StringComparison.Ordinal);
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.StartsWith("NAMES", table.Stdout, StringComparison.Ordinal);
        Assert.Contains(TestRegistry.Busybox, table.Stdout, StringComparison.Ordinal);
        Assert.Contains("Disk use: ", table.Stdout, StringComparison.Ordinal);
        var list = JsonSerializer.Deserialize(json.Stdout, ApiJsonContext.Default.ImageListResponse)!;
        Assert.Contains(list.Images, i => i.Names.Contains(TestRegistry.Busybox));
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Equal($"Removed {TestRegistry.Busybox}.\n", removed.Stdout);
        Assert.DoesNotContain(JsonSerializer.Deserialize(after.Stdout, ApiJsonContext.Default.ImageListResponse)!.Images,
            i => i.Names.Contains(TestRegistry.Busybox));
    }

    private Task<CliResult> RunAsync(params string[] args) => CliProcess.RunAsync(_config, null, args);

    private async Task RemovePulledAsync() => await JobHostFixture.PodmanAsync(fixture.Alice, "rmi", "--ignore", TestRegistry.Busybox);
}
