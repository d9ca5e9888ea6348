using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Portal.Web.Tests.Jobs;

/// <summary>
/// The real portal in-process on a given database, with the job runner driving the test launcher at short
/// intervals. Several can be made one after another on the same database: disposing one is a portal shutdown,
/// the next one a restart.
/// </summary>
/// <param name="connectionString">The test's database.</param>
/// <param name="launcherPath">The test launcher.</param>
/// <param name="extraSettings">Settings on top of <see cref="Settings"/>, e.g. a fake nvidia-smi.</param>
public sealed class JobPortal(string connectionString, string launcherPath, IReadOnlyDictionary<string, string>? extraSettings = null)
    : WebApplicationFactory<Program>
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"portal-jobs-test-{Guid.NewGuid():N}");

    /// <summary>The settings a job test portal runs with, also for a portal started as a separate process.</summary>
    public static IReadOnlyDictionary<string, string> Settings(string connectionString, string launcherPath, string dataDirectory) =>
        new Dictionary<string, string>
        {
            ["ConnectionStrings:Portal"] = connectionString,
            ["Portal:DataDirectory"] = dataDirectory,
            ["Portal:Launcher:LauncherPath"] = launcherPath,
            ["Portal:Jobs:SchedulingTick"] = "00:00:01",
            ["Portal:Jobs:WatchInterval"] = "00:00:00.5",
            ["Portal:Jobs:ReconcileInterval"] = "00:00:03",
            ["Portal:Jobs:StopGracePeriod"] = "00:00:01",
            // The fake GPUs are rows the tests write; no nvidia-smi may overwrite them.
            ["Portal:Jobs:SyncGpuInventory"] = "false",
            ["Portal:Gpus:SearchPath"] = "/nonexistent-portal-jobs-test",
            ["Portal:Sessions:SocketDirectory"] = JobHostFixture.SessionsDir,
            // Idle reclaim acts only where a test gives a quota group a policy; then it should act within a second.
            ["Portal:Sessions:IdleCheckInterval"] = "00:00:01",
            // The registry the host's policy allows; the portal checks pulls against the same list.
            ["Portal:Images:Registries:0"] = TestRegistry.Host,
        };

    /// <summary>Builds and starts the host now.</summary>
    public JobPortal Start()
    {
        _ = Server;
        return this;
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in Settings(connectionString, launcherPath, _dataDirectory).Concat(extraSettings ?? new Dictionary<string, string>()))
        {
            builder.UseSetting(key, value);
        }
    }
}
