using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Portal.Data.Tokens;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.Api;

/// <summary>
/// The real portal on a real loopback socket, with the job runner driving the test launcher (see
/// <see cref="JobPortal"/>), for API and command-line tests that run containers and follow their output.
/// </summary>
public sealed class ApiJobPortal : WebApplicationFactory<Program>
{
    private readonly string _connectionString;
    private readonly string _launcherPath;
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), $"portal-api-test-{Guid.NewGuid():N}");

    public ApiJobPortal(string connectionString, string launcherPath)
    {
        _connectionString = connectionString;
        _launcherPath = launcherPath;
        UseKestrel(0);
    }

    public Uri BaseAddress { get; private set; } = default!;

    public ApiTokenStore Tokens => Services.GetRequiredService<ApiTokenStore>();

    public ApiJobPortal Start()
    {
        StartServer();
        using var client = CreateClient();
        BaseAddress = client.BaseAddress!;
        return this;
    }

    public async Task<string> TokenAsync(Guid userId, params string[] scopes)
    {
        var result = await Tokens.CreateAsync(userId, "test", scopes, DateTimeOffset.UtcNow.AddDays(1));
        return result.Token?.Secret ?? throw new InvalidOperationException(string.Join(" ", result.Errors));
    }

    /// <summary>A plain client over the socket (as a script would have), sending <paramref name="token"/>.</summary>
    public HttpClient ApiClient(string token)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public override async ValueTask DisposeAsync()
    {
        try
        {
            await base.DisposeAsync();
        }
        catch (ObjectDisposedException e) when (e.StackTrace?.Contains("NvidiaSmiSampler.DisposeAsync", StringComparison.Ordinal) == true)
        {
            // The same teardown race JobTestContext tolerates: the host is stopped twice, the sampler disposed twice.
        }

        if (Directory.Exists(_dataDirectory))
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        foreach (var (key, value) in JobPortal.Settings(_connectionString, _launcherPath, _dataDirectory))
        {
            builder.UseSetting(key, value);
        }

        builder.UseSetting("Portal:Api:RequestsPerSecond", 100_000.ToString(CultureInfo.InvariantCulture));
        builder.UseSetting("Portal:Api:Burst", 100_000.ToString(CultureInfo.InvariantCulture));
    }
}
