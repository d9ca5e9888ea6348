using Portal.Launcher.Protocol;

namespace Portal.Launcher.Client;

/// <summary>
/// The portal's view of the privileged launcher (docs/security.md, "Processes and trust"). Every call
/// acts as <c>user</c>, who must already be authorised by the portal for that job. Failures throw
/// <see cref="LauncherException"/> carrying the launcher's readable error.
/// </summary>
public interface ILauncher
{
    /// <summary>Starts the job's container detached (<c>portal-job-&lt;job&gt;</c>).</summary>
    Task<StartedJob> RunAsync(string user, string job, RunSpec spec, CancellationToken cancellationToken = default);

    /// <summary>
    /// SIGTERM, then SIGKILL after <paramref name="gracePeriod"/>; revokes device ACLs first in ACL mode; then, as root,
    /// kills whatever is left in the job's cgroup. Succeeds only once the cgroup is empty, and returns it with the job's
    /// final accounting (null where the launcher keeps no cgroup for the job).
    /// </summary>
    Task<CgroupState?> StopAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default);

    /// <summary>Stops (as <see cref="StopAsync"/>) and deletes the container; fails if it does not exist.</summary>
    Task RemoveAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default);

    /// <summary>
    /// Revokes a finished job's device ACLs, kills what is left in its cgroup and removes it. Succeeds only once the
    /// cgroup is empty; returns its final accounting, read before the removal (null, or not <c>Exists</c>, where there
    /// was none).
    /// </summary>
    Task<CgroupState?> ReleaseAsync(string user, string job, CancellationToken cancellationToken = default);

    /// <summary>The job's container state and exit code.</summary>
    Task<ContainerState> InspectAsync(string user, string job, CancellationToken cancellationToken = default);

    /// <summary>The user's portal containers (label <c>portal.job</c>), for reconciliation.</summary>
    Task<IReadOnlyList<ContainerState>> ListAsync(string user, CancellationToken cancellationToken = default);

    /// <summary>
    /// The user's portal containers as podman reports them, and every job cgroup the launcher keeps for the user as the
    /// kernel reports it: a job whose cgroup holds processes still runs, even when podman no longer knows it.
    /// </summary>
    Task<UserJobs> ListJobsAsync(string user, CancellationToken cancellationToken = default);

    /// <summary>The user's local images.</summary>
    Task<IReadOnlyList<ImageInfo>> ImagesAsync(string user, CancellationToken cancellationToken = default);

    /// <summary>
    /// The job's output, line by line: stdout and stderr in the order podman recorded them, each line with its stream and
    /// time; with <see cref="LogsSpec.Follow"/> until the job ends or the token is cancelled (which ends the launcher
    /// too). With <see cref="LogsSpec.Service"/>, that service's output of the app <paramref name="job"/>.
    /// </summary>
    IAsyncEnumerable<LogLine> StreamLogsAsync(string user, string job, LogsSpec options, CancellationToken cancellationToken = default);

    /// <summary>The host self-test; with a user, podman is also tried as that user.</summary>
    Task<IReadOnlyList<CheckItem>> CheckAsync(string? user, CancellationToken cancellationToken = default);

    /// <summary>
    /// The ids of the GPUs the launcher's policy names (the host self-test's answer): a job given any other GPU would
    /// be refused. Null when this launcher cannot say, e.g. a stand-in that runs no launcher.
    /// </summary>
    /// <remarks>No default body: a wrapper that forgot to pass this through answered null, and the portal silently
    /// stopped holding its GPU ledger to the policy.</remarks>
    Task<IReadOnlyList<string>?> PolicyGpusAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The host self-test without a user: its findings, and what the launcher's policy decides for GPUs outside jobs
    /// (device ACL mode, whether <see cref="KillGpuProcessAsync"/> is allowed). Null when this launcher cannot say.
    /// </summary>
    Task<SelfTest?> SelfTestAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Ends <paramref name="user"/>'s process (SIGTERM, then SIGKILL after the policy's grace) if the pid still names the
    /// process that started at <see cref="ProcessSpec.StartTime"/> and belongs to <see cref="ProcessSpec.Uid"/>; refused
    /// (<see cref="LauncherException"/>) otherwise, or when the policy does not allow it.
    /// </summary>
    Task<ProcessKill> KillGpuProcessAsync(string user, ProcessSpec process, CancellationToken cancellationToken = default);

    /// <summary>
    /// Builds and starts an app (docs/apps.md): its pod (<c>portal-app-&lt;job&gt;</c>) and its services in order,
    /// waiting for health checks where a service depends on one; all or nothing. The call lasts as long as those waits
    /// (<see cref="AppTimeout"/>).
    /// </summary>
    Task<StartedJob> AppUpAsync(string user, string job, AppSpec app, CancellationToken cancellationToken = default);

    /// <summary>Stops every service of an app at once (device ACLs revoked first in ACL mode), then empties the job's
    /// cgroup as <see cref="StopAsync"/> does and returns it.</summary>
    Task<CgroupState?> AppStopAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default);

    /// <summary>Stops and deletes an app's pod, containers, volumes and hosts file; fails if there is no such pod.</summary>
    Task AppRemoveAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default);

    /// <summary>Each service's container state (empty when the app has no pod).</summary>
    Task<IReadOnlyList<ContainerState>> AppInspectAsync(string user, string job, CancellationToken cancellationToken = default);

    /// <summary>What ran, as <c>podman kube generate</c> writes it.</summary>
    Task<string> AppExportAsync(string user, string job, CancellationToken cancellationToken = default);

    /// <summary>The longest an app-up may take: the launcher's calls, plus every health wait the app asks for.</summary>
    static TimeSpan AppTimeout(AppSpec app, TimeSpan perCall)
    {
        ArgumentNullException.ThrowIfNull(app);
        var waits = app.Services.Where(s => s.Healthcheck is not null).Sum(s =>
            s.Healthcheck!.StartPeriodSeconds + ((double)s.Healthcheck.Retries * (s.Healthcheck.IntervalSeconds + s.Healthcheck.TimeoutSeconds)));
        return perCall + TimeSpan.FromSeconds(waits);
    }
}

/// <summary>What <see cref="ILauncher.ListJobsAsync"/> reports: podman's containers and the kernel's job cgroups.</summary>
public sealed record UserJobs(IReadOnlyList<ContainerState> Containers, IReadOnlyList<CgroupState> Cgroups);

/// <summary>The launcher's <c>check</c> answer: its findings, and the policy's facts (null from a launcher that sends none).</summary>
public sealed record SelfTest(IReadOnlyList<CheckItem> Checks, PolicyFacts? Policy);

/// <summary>A started job's container.</summary>
public sealed record StartedJob(string ContainerId, string ContainerName, IReadOnlyList<string> Warnings);
