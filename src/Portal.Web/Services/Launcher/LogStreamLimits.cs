using System.Collections.Concurrent;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;

namespace Portal.Web.Services.Launcher;

/// <summary>The live log streams one user may hold open (section "Portal:Logs").</summary>
public sealed class LogStreamOptions
{
    public const string SectionName = "Portal:Logs";

    /// <summary>Streams open at once per job owner, over all pages, downloads and API calls: each is a launcher and a podman.</summary>
    public int MaxStreamsPerUser { get; set; } = 8;
}

/// <summary>
/// Caps the log streams open at once for each job owner (each one holds a launcher process and a podman process), so
/// that one user opening pages or API streams without end cannot exhaust the portal or the box. Past the cap a new
/// stream is refused with a sentence that says why; closing another lets it through. A Slurm job's output file (read
/// by a launcher and a tail) counts the same as a container's log.
/// </summary>
internal sealed class LogStreamLimits(ILauncher inner, LogStreamOptions options, ISlurmLauncher? slurm = null) : ILauncher, ISlurmLauncher
{
    private readonly ConcurrentDictionary<string, int> _open = new(StringComparer.Ordinal);

    public IAsyncEnumerable<LogLine> StreamLogsAsync(string user, string job, LogsSpec logs, CancellationToken cancellationToken = default) =>
        LimitedAsync(user, () => inner.StreamLogsAsync(user, job, logs, cancellationToken));

    public IAsyncEnumerable<string> StreamLogAsync(string user, string job, long slurmJobId, LogsSpec options, CancellationToken cancellationToken = default) =>
        LimitedAsync(user, () => Slurm.StreamLogAsync(user, job, slurmJobId, options, cancellationToken));

    public Task<SlurmSubmission> SubmitAsync(string user, string job, RunSpec spec, SlurmSpec slurmSpec, CancellationToken cancellationToken = default) =>
        Slurm.SubmitAsync(user, job, spec, slurmSpec, cancellationToken);

    public Task<SlurmSubmission> SubmitAppAsync(string user, string job, AppSpec app, SlurmSpec slurmSpec, CancellationToken cancellationToken = default) =>
        Slurm.SubmitAppAsync(user, job, app, slurmSpec, cancellationToken);

    public Task CancelAsync(string user, string job, long slurmJobId, CancellationToken cancellationToken = default) =>
        Slurm.CancelAsync(user, job, slurmJobId, cancellationToken);

    public Task<Stream> ConnectAsync(string user, string job, long slurmJobId, CancellationToken cancellationToken = default) =>
        Slurm.ConnectAsync(user, job, slurmJobId, cancellationToken);

    private ISlurmLauncher Slurm => slurm ?? throw new InvalidOperationException("No Slurm launcher was given.");

    private async IAsyncEnumerable<T> LimitedAsync<T>(string user, Func<IAsyncEnumerable<T>> stream)
    {
        int open = _open.AddOrUpdate(user, 1, (_, n) => n + 1);
        try
        {
            if (open > options.MaxStreamsPerUser)
            {
                throw new LauncherException(LauncherFailure.Refused,
                    $"{user} already has {options.MaxStreamsPerUser} job logs open (pages, downloads and API streams together); close one and try again.", -1, "");
            }

            await foreach (T line in stream())
            {
                yield return line;
            }
        }
        finally
        {
            _open.AddOrUpdate(user, 0, (_, n) => n - 1);
            _open.TryRemove(new KeyValuePair<string, int>(user, 0));
        }
    }

    public Task<StartedJob> RunAsync(string user, string job, RunSpec spec, CancellationToken cancellationToken = default) =>
        inner.RunAsync(user, job, spec, cancellationToken);

    public Task<CgroupState?> StopAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) =>
        inner.StopAsync(user, job, gracePeriod, cancellationToken);

    public Task RemoveAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) =>
        inner.RemoveAsync(user, job, gracePeriod, cancellationToken);

    public Task<CgroupState?> ReleaseAsync(string user, string job, CancellationToken cancellationToken = default) =>
        inner.ReleaseAsync(user, job, cancellationToken);

    public Task<ContainerState> InspectAsync(string user, string job, CancellationToken cancellationToken = default) =>
        inner.InspectAsync(user, job, cancellationToken);

    public Task<IReadOnlyList<ContainerState>> ListAsync(string user, CancellationToken cancellationToken = default) =>
        inner.ListAsync(user, cancellationToken);

    public Task<UserJobs> ListJobsAsync(string user, CancellationToken cancellationToken = default) =>
        inner.ListJobsAsync(user, cancellationToken);

    public Task<IReadOnlyList<ImageInfo>> ImagesAsync(string user, CancellationToken cancellationToken = default) =>
        inner.ImagesAsync(user, cancellationToken);

    public Task<IReadOnlyList<CheckItem>> CheckAsync(string? user, CancellationToken cancellationToken = default) =>
        inner.CheckAsync(user, cancellationToken);

    public Task<IReadOnlyList<string>?> PolicyGpusAsync(CancellationToken cancellationToken = default) =>
        inner.PolicyGpusAsync(cancellationToken);

    public Task<SelfTest?> SelfTestAsync(CancellationToken cancellationToken = default) =>
        inner.SelfTestAsync(cancellationToken);

    public Task<ProcessKill> KillGpuProcessAsync(string user, ProcessSpec process, CancellationToken cancellationToken = default) =>
        inner.KillGpuProcessAsync(user, process, cancellationToken);

    public Task<StartedJob> AppUpAsync(string user, string job, AppSpec app, CancellationToken cancellationToken = default) =>
        inner.AppUpAsync(user, job, app, cancellationToken);

    public Task<CgroupState?> AppStopAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) =>
        inner.AppStopAsync(user, job, gracePeriod, cancellationToken);

    public Task AppRemoveAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default) =>
        inner.AppRemoveAsync(user, job, gracePeriod, cancellationToken);

    public Task<IReadOnlyList<ContainerState>> AppInspectAsync(string user, string job, CancellationToken cancellationToken = default) =>
        inner.AppInspectAsync(user, job, cancellationToken);

    public Task<string> AppExportAsync(string user, string job, CancellationToken cancellationToken = default) =>
        inner.AppExportAsync(user, job, cancellationToken);
}
