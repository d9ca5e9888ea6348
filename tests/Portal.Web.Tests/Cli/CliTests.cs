using System.Globalization;
using System.Text.Json;
using Portal.Api.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Jobs;
using Portal.Data.Presets;
using Portal.Web.Tests.Api;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.Cli;

/// <summary>
/// The built <c>portal</c> command as a process against a running portal (real socket, real PostgreSQL, real
/// launcher and containers): login, submit and follow to the job's exit code, cancel, Ctrl-C, errors.
/// </summary>
[Collection(JobHostGroup.Name)]
public sealed class CliTests(JobHostFixture fixture) : IAsyncLifetime
{
    private readonly string _config = Directory.CreateTempSubdirectory("portal-cli-test-").FullName;
    private JobTestContext _context = null!;
    private ApiJobPortal _portal = null!;
    private string _token = null!;

    public async Task InitializeAsync()
    {
        _context = await JobTestContext.CreateAsync(fixture, gpus: 1);
        _portal = new ApiJobPortal(_context.Db.ConnectionString, fixture.LauncherPath).Start();
        _token = await _portal.TokenAsync(_context.Accounts[fixture.Alice.Name], ApiScopes.JobsRead, ApiScopes.JobsWrite);
    }

    public async Task DisposeAsync()
    {
        await _portal.DisposeAsync();
        await _context.DisposeAsync();
        Directory.Delete(_config, recursive: true);
    }

    [Fact]
    public async Task Login_checks_the_token_and_stores_it_for_the_owner_only()
    {
        var refused = await CliProcess.RunAsync(_config, "gpp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "login", "--url", Url);
        Assert.True(refused.ExitCode == 3, refused.ToString());
        Assert.False(File.Exists(ConfigFile));

        var login = await CliProcess.RunAsync(_config, _token, "login", "--url", Url);

        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(ConfigFile));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(ConfigFile)!));
        Assert.Contains(_token, await File.ReadAllTextAsync(ConfigFile), StringComparison.Ordinal);
        Assert.DoesNotContain(_token, login.Stdout + login.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_follow_prints_the_jobs_output_and_exits_with_its_exit_code()
    {
        await LoginAsync();

        var result = await RunAsync("submit", "--image", JobHostFixture.Image, "--memory", "256", "--follow", "--", "sh", "-c", "echo hello; echo world; exit 7");

        Assert.True(result.ExitCode == 7, result.ToString());
        Assert.Equal("hello\nworld\n", result.Stdout);
        Assert.Contains("Submitted job", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("failed with exit code 7", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_prints_the_id_and_logs_show_and_jobs_read_the_job_back()
    {
        await LoginAsync();

        var submitted = await RunAsync("submit", "--image", JobHostFixture.Image, "--memory", "256", "--name", "cli-ok", "--restartable", "--", "echo", "from a container");
        Assert.True(submitted.ExitCode == 0, submitted.ToString());
        var id = long.Parse(submitted.Stdout.Trim(), CultureInfo.InvariantCulture);
        var followed = await RunAsync("logs", "-f", Id(id));
        var logs = await RunAsync("logs", Id(id));
        var show = await RunAsync("show", Id(id), "--json");
        var shown = await RunAsync("show", Id(id));
        var jobs = await RunAsync("jobs");

        Assert.True(followed.ExitCode == 0, followed.ToString());
        Assert.Equal("from a container\n", followed.Stdout);
        Assert.Equal("from a container\n", logs.Stdout);
        var job = JsonSerializer.Deserialize(show.Stdout, ApiJsonContext.Default.JobResponse)!;
        Assert.Equal(JobStates.Succeeded, job.State);
        Assert.Equal(["echo", "from a container"], job.Command);
        Assert.True(job.Restartable);
        Assert.Equal(1, job.Attempts);
        Assert.Contains("Restartable: yes   Attempts: 1", shown.Stdout, StringComparison.Ordinal);
        Assert.Matches($"(?m)^{id} +cli-ok +{fixture.Alice.Name} +Succeeded", jobs.Stdout);
    }

    [Fact]
    public async Task Submit_again_with_the_same_idempotency_key_prints_the_first_job()
    {
        await LoginAsync();
        string key = "cli-" + Guid.NewGuid().ToString("N");

        var first = await RunAsync("submit", "--image", JobHostFixture.Image, "--memory", "256", "--idempotency-key", key, "--", "true");
        var again = await RunAsync("submit", "--image", JobHostFixture.Image, "--memory", "256", "--idempotency-key", key, "--", "true");
        var bad = await RunAsync("submit", "--image", JobHostFixture.Image, "--idempotency-key", "two words", "--", "true");

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Equal(first.Stdout, again.Stdout);
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("idempotency key", bad.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Submit_with_a_preset_runs_its_values_with_given_options_replacing_them_and_presets_show_and_rm_work()
    {
        await LoginAsync();
        var store = _portal.Services.GetRequiredService<JobPresetStore>();
        await store.SaveAsync(_context.Accounts[fixture.Alice.Name], "cli echo", new PresetValues
        {
            JobName = "from-preset",
            Image = JobHostFixture.Image,
            Command = ["sh", "-c", "echo $GREETING $OTHER"],
            Environment = new Dictionary<string, string> { ["GREETING"] = "hello", ["OTHER"] = "kept" },
            MemoryMiB = 256,
            WalltimeMinutes = 5,
        });
        await store.SaveAsync(null, "cli box", new PresetValues { Image = JobHostFixture.Image });

        var list = await RunAsync("presets");
        var show = await RunAsync("preset", "show", "cli echo", "--json");
        var followed = await RunAsync("submit", "--preset", "cli echo", "--env", "GREETING=overridden", "--follow");
        var removed = await RunAsync("preset", "rm", "cli echo");
        var missing = await RunAsync("preset", "show", "cli echo");
        var noImage = await RunAsync("submit", "--", "true");

        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Matches("(?m)^cli echo +yours +" + System.Text.RegularExpressions.Regex.Escape(JobHostFixture.Image), list.Stdout);
        Assert.Matches("(?m)^cli box +box-wide ", list.Stdout);
        var preset = JsonSerializer.Deserialize(show.Stdout, ApiJsonContext.Default.PresetResponse)!;
        Assert.Equal(["sh", "-c", "echo $GREETING $OTHER"], preset.Values.Command);
        Assert.True(followed.ExitCode == 0, followed.ToString());
        Assert.Equal("overridden kept\n", followed.Stdout);
        var jobId = long.Parse(System.Text.RegularExpressions.Regex.Match(followed.Stderr, "Submitted job ([0-9]+)").Groups[1].Value, CultureInfo.InvariantCulture);
        await using (var db = _context.Db.CreateDbContext())
        {
            var row = await db.Jobs.AsNoTracking().SingleAsync(j => j.Id == jobId);
            Assert.Equal("from-preset", row.Name);
            Assert.Equal(256, row.MemoryMiB);
        }

        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.True(missing.ExitCode == 4, missing.ToString());
        Assert.True(noImage.ExitCode == 2, noImage.ToString());
        Assert.Contains("--image", noImage.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_stops_a_running_job_and_following_it_exits_143()
    {
        await LoginAsync();
        var submitted = await RunAsync("submit", "--image", JobHostFixture.Image, "--memory", "256", "--", "sleep", "300");
        var id = long.Parse(submitted.Stdout.Trim(), CultureInfo.InvariantCulture);
        await _context.WaitForStateAsync(id, JobState.Running);

        var cancelled = await RunAsync("cancel", Id(id));
        var followed = await RunAsync("logs", "-f", Id(id));
        var again = await RunAsync("cancel", Id(id));

        Assert.True(cancelled.ExitCode == 0, cancelled.ToString());
        Assert.Contains("Cancelled", cancelled.Stdout, StringComparison.Ordinal);
        Assert.True(followed.ExitCode == 143, followed.ToString());
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains("ended already", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_C_while_following_detaches_and_the_job_keeps_running()
    {
        await LoginAsync();
        var submitted = await RunAsync("submit", "--image", JobHostFixture.Image, "--memory", "256", "--", "sh", "-c", "echo ready; sleep 300");
        var id = long.Parse(submitted.Stdout.Trim(), CultureInfo.InvariantCulture);
        await using var follower = CliProcess.Start(_config, ["logs", "-f", Id(id)]);
        await Eventually.UntilAsync(() => Task.FromResult(follower.Stdout), s => s.Contains("ready", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), "the output to arrive");

        Assert.False(follower.IgnoresSigint, "the portal command was started with SIGINT ignored; Ctrl-C could not reach it");
        await Sh.CheckedAsync("/bin/kill", "-INT", follower.Pid.ToString(CultureInfo.InvariantCulture));
        var detached = await follower.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(detached.ExitCode == 130, detached.ToString());
        Assert.Contains("keeps running", detached.Stderr, StringComparison.Ordinal);
        Assert.Equal(JobState.Running, (await _context.RowAsync(id)).State);
    }

    [Fact]
    public async Task Errors_are_explained_on_stderr_with_exit_codes_scripts_can_rely_on()
    {
        await LoginAsync();

        var missing = await RunAsync("show", "999999999");
        var invalid = await RunAsync("submit", "--image", "-privileged", "--", "true");
        var usage = await RunAsync("submit", "--gpus", "many", "--image", JobHostFixture.Image);
        var quota = await RunAsync("quota");
        var gpus = await RunAsync("gpus", "--json");

        Assert.True(missing.ExitCode == 4, missing.ToString());
        Assert.Contains("There is no job 999999999 that you can see.", missing.Stderr, StringComparison.Ordinal);
        Assert.True(invalid.ExitCode == 1, invalid.ToString());
        Assert.Contains("image: Not a valid image reference", invalid.Stderr, StringComparison.Ordinal);
        Assert.True(usage.ExitCode == 2, usage.ToString());
        Assert.True(quota.ExitCode == 0, quota.ToString());
        Assert.Contains("GPUs at once", quota.Stdout, StringComparison.Ordinal);
        var list = JsonSerializer.Deserialize(gpus.Stdout, ApiJsonContext.Default.GpuListResponse)!;
        Assert.Equal(JobHostFixture.GpuUuids[0], Assert.Single(list.Gpus).Uuid);
    }

    [Fact]
    public async Task App_show_prints_where_the_portal_serves_the_apps_web_front()
    {
        await LoginAsync();
        var file = Path.Combine(_config, "compose.yaml");
        await File.WriteAllTextAsync(file, $$"""
            services:
              web:
                image: {{JobHostFixture.Image}}
                command: ["httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/etc"]
                x-portal-web: {port: 8080}
              worker:
                image: {{JobHostFixture.Image}}
                command: ["sleep", "300"]
            """);

        var up = await RunAsync("app", "up", "-f", file, "--name", "cli-front");
        Assert.True(up.ExitCode == 0, up.ToString());
        var id = long.Parse(up.Stdout.Trim(), CultureInfo.InvariantCulture);
        var show = await RunAsync("app", "show", Id(id));
        await RunAsync("cancel", Id(id));

        Assert.True(show.ExitCode == 0, show.ToString());
        Assert.Contains($"web front web:8080: {Url}/s/{id}/", show.Stdout, StringComparison.Ordinal);
    }

    private string Url => _portal.BaseAddress.ToString().TrimEnd('/');

    private string ConfigFile => Path.Combine(_config, "portal", "config.json");

    private static string Id(long id) => id.ToString(CultureInfo.InvariantCulture);

    private async Task LoginAsync()
    {
        var login = await CliProcess.RunAsync(_config, _token, "login", "--url", Url);
        Assert.True(login.ExitCode == 0, login.ToString());
    }

    private Task<CliResult> RunAsync(params string[] args) => CliProcess.RunAsync(_config, null, args);
}
