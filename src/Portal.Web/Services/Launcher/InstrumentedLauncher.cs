using System.Diagnostics;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Services.Metrics;

namespace Portal.Web.Services.Launcher;

/// <summary>
/// Times every launcher call and counts its failures by kind (<see cref="LauncherMetrics"/>), then passes the
/// result or the exception on unchanged. A followed log stream lasts as long as its reader wants, so it is not
/// a call with a latency and passes through untimed.
/// </summary>
internal sealed class InstrumentedLauncher(ILauncher inner, LauncherMetrics metrics) : ILauncher
{
    public Task<StartedJob> RunAsync(string user, string job, RunSpec spec, CancellationToken cancellationToken = default) =>
        TimeAsync("run", () => inner.RunAsync(user, job, spec, cancellationToken));

    public Task<CgroupState?> StopAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) =>
        TimeAsync("stop", () => inner.StopAsync(user, job, gracePeriod, cancellationToken));

    public Task RemoveAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) =>
        TimeAsync("remove", () => inner.RemoveAsync(user, job, gracePeriod, cancellationToken));

    public Task<CgroupState?> ReleaseAsync(string user, string job, CancellationToken cancellationToken = default) =>
        TimeAsync("release", () => inner.ReleaseAsync(user, job, cancellationToken));

    public Task<ContainerState> InspectAsync(string user, string job, CancellationToken cancellationToken = default) =>
        TimeAsync("inspect", () => inner.InspectAsync(user, job, cancellationToken));

    public Task<IReadOnlyList<ContainerState>> ListAsync(string user, CancellationToken cancellationToken = default) =>
        TimeAsync("list", () => inner.ListAsync(user, cancellationToken));

    public Task<UserJobs> ListJobsAsync(string user, CancellationToken cancellationToken = default) =>
        TimeAsync("list", () => inner.ListJobsAsync(user, cancellationToken));

    public Task<IReadOnlyList<ImageInfo>> ImagesAsync(string user, CancellationToken cancellationToken = default) =>
        TimeAsync("images", () => inner.ImagesAsync(user, cancellationToken));

    public IAsyncEnumerable<LogLine> StreamLogsAsync(string user, string job, LogsSpec options, CancellationToken cancellationToken = default) =>
        inner.StreamLogsAsync(user, job, options, cancellationToken);

    public Task<IReadOnlyList<CheckItem>> CheckAsync(string? user, CancellationToken cancellationToken = default) =>
        TimeAsync("check", () => inner.CheckAsync(user, cancellationToken));

    public Task<IReadOnlyList<string>?> PolicyGpusAsync(CancellationToken cancellationToken = default) =>
        TimeAsync("check", () => inner.PolicyGpusAsync(cancellationToken));

    public Task<SelfTest?> SelfTestAsync(CancellationToken cancellationToken = default) =>
        TimeAsync("check", () => inner.SelfTestAsync(cancellationToken));

    public Task<ProcessKill> KillGpuProcessAsync(string user, ProcessSpec process, CancellationToken cancellationToken = default) =>
        TimeAsync("kill-gpu-process", () => inner.KillGpuProcessAsync(user, process, cancellationToken));

    public Task<StartedJob> AppUpAsync(string user, string job, AppSpec app, CancellationToken cancellationToken = default) =>
        TimeAsync("app-up", () => inner.AppUpAsync(user, job, app, cancellationToken));

    public Task<CgroupState?> AppStopAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) =>
        TimeAsync("app-stop", () => inner.AppStopAsync(user, job, gracePeriod, cancellationToken));

    public Task AppRemoveAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) =>
        TimeAsync("app-remove", () => inner.AppRemoveAsync(user, job, gracePeriod, cancellationToken));

    public Task<IReadOnlyList<ContainerState>> AppInspectAsync(string user, string job, CancellationToken cancellationToken = default) =>
        TimeAsync("app-inspect", () => inner.AppInspectAsync(user, job, cancellationToken));

    public Task<string> AppExportAsync(string user, string job, CancellationToken cancellationToken = default) =>
        TimeAsync("app-export", () => inner.AppExportAsync(user, job, cancellationToken));

    private async Task TimeAsync(string verb, Func<Task> call) =>
        await TimeAsync(verb, async () =>
        {
            await call();
            return true;
        });

    private async Task<T> TimeAsync<T>(string verb, Func<Task<T>> call)
    {
        long started = Stopwatch.GetTimestamp();
        try
        {
            T result = await call();
            metrics.RecordSuccess(verb, Stopwatch.GetElapsedTime(started));
            return result;
        }
        catch (LauncherException e)
        {
            metrics.RecordFailure(verb, Stopwatch.GetElapsedTime(started), e.Failure);
            throw;
        }
    }
}
