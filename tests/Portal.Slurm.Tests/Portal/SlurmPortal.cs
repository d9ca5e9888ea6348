using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data.Tokens;
using Portal.Slurm.Tests.Infrastructure;

namespace Portal.Slurm.Tests.Portal;

/// <summary>
/// The real portal on a loopback socket with <c>Portal:Backend</c> = slurm: its job runner hands jobs to the local
/// test cluster through the Slurm tests' launcher and polls Slurm at short intervals. Several can be made one after
/// another on one database: disposing one is a portal shutdown, the next one a restart.
/// </summary>
public sealed class SlurmPortal : WebApplicationFactory<Program>
{
    private readonly string _connectionString;
    private readonly string _launcherPath;
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"portal-slurm-test-{Guid.NewGuid():N}");

    public SlurmPortal(string connectionString, string launcherPath)
    {
        _connectionString = connectionString;
        _launcherPath = launcherPath;
        UseKestrel(0);
    }

    public Uri BaseAddress { get; private set; } = default!;

    public SlurmPortal Start()
    {
        StartServer();
        using var client = CreateClient();
        BaseAddress = client.BaseAddress!;
        return this;
    }

    public async Task<string> TokenAsync(Guid userId, params string[] scopes)
    {
        var result = await Services.GetRequiredService<ApiTokenStore>().CreateAsync(userId, "test", scopes, DateTimeOffset.UtcNow.AddDays(1));
        return result.Token?.Secret ?? throw new InvalidOperationException(string.Join(" ", result.Errors));
    }

    /// <summary>A plain client over the socket, as a script would have, sending <paramref name="token"/>.</summary>
    public HttpClient ApiClient(string token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(3) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The settings a Slurm test portal runs with.</summary>
    public static IReadOnlyDictionary<string, string> Settings(string connectionString, string launcherPath, string dataDirectory) =>
        new Dictionary<string, string>
        {
            ["ConnectionStrings:Portal"] = connectionString,
            ["Portal:DataDirectory"] = dataDirectory,
            ["Portal:Launcher:LauncherPath"] = launcherPath,
            ["Portal:Backend"] = "slurm",
            ["Portal:Slurm:ConfigFile"] = LocalSlurmCluster.ConfigFile,
            ["Portal:Slurm:Partitions:0"] = LocalSlurmCluster.Partition,
            ["Portal:Slurm:PollInterval"] = "00:00:00.5",
            ["Portal:Slurm:NodeRefresh"] = "00:00:01",
            ["Portal:Jobs:SchedulingTick"] = "00:00:01",
            ["Portal:Jobs:ReconcileInterval"] = "00:00:03",
            ["Portal:Jobs:SyncGpuInventory"] = "false",
            ["Portal:Gpus:SearchPath"] = "/nonexistent-portal-slurm-test",
            ["Portal:Api:RequestsPerSecond"] = 100_000.ToString(CultureInfo.InvariantCulture),
            ["Portal:Api:Burst"] = 100_000.ToString(CultureInfo.InvariantCulture),
        };

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        catch (ObjectDisposedException e) when (e.StackTrace?.Contains("NvidiaSmiSampler.DisposeAsync", StringComparison.Ordinal) == true)
        {
            // The host is stopped twice at teardown and the GPU sampler is not safe to dispose twice at once.
        }

        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in Settings(_connectionString, _launcherPath, _dataDirectory))
        {
            builder.UseSetting(key, value);
        }
    }
}
