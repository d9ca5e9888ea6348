using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Configuration;

namespace Portal.Web.Services.Health;

/// <summary>
/// Ready only when the launcher answers its <c>check</c> (through sudo in production) with no failed item. The
/// installed portal cannot run jobs without it, so there a failure is Unhealthy; the development modes work without
/// an installed launcher (pages, the dashboard), so there it is Degraded. The answer is kept for
/// <see cref="CacheFor"/>: probes come often, and each check starts sudo, the launcher and podman.
/// </summary>
internal sealed class LauncherHealthCheck(ILauncher launcher, IOptions<PortalOptions> options, TimeProvider timeProvider) : IHealthCheck, IDisposable
{
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _gate = new(1, 1);
    private (HealthCheckResult Result, DateTimeOffset At)? _last;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_last is { } last && timeProvider.GetUtcNow() - last.At < CacheFor)
            {
                return last.Result;
            }

            HealthCheckResult result = await RunCheckAsync(cancellationToken);
            _last = (result, timeProvider.GetUtcNow());
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task<HealthCheckResult> RunCheckAsync(CancellationToken cancellationToken)
    {
        HealthStatus failed = HostModes.Detect(options.Value) == HostMode.Production ? HealthStatus.Unhealthy : HealthStatus.Degraded;
        IReadOnlyList<CheckItem> items;
        try
        {
            items = await launcher.CheckAsync(null, cancellationToken);
        }
        catch (LauncherException e)
        {
            return new HealthCheckResult(failed, $"The launcher cannot be run ({e.Failure}): {e.Message}");
        }

        var failures = items.Where(i => i.Status == "fail").Select(i => $"{i.Name}: {i.Detail}").ToList();
        return failures.Count == 0
            ? HealthCheckResult.Healthy("The launcher answers its host check.")
            : new HealthCheckResult(failed, "The launcher's host check failed: " + string.Join("; ", failures));
    }
}
