using Portal.Launcher.Protocol;

namespace Portal.Launcher.Client;

/// <summary>
/// The portal's view of the privileged launcher (see DESIGN.md, "Processes and trust"). Every call
/// acts as <c>user</c>, who must already be authorised by the portal for that job. Failures throw
/// <see cref="LauncherException"/> carrying the launcher's readable error.
/// </summary>
public interface ILauncher
{
    /// <summary>Starts the job's container detached (<c>portal-job-&lt;job&gt;</c>).</summary>
    Task<StartedJob> RunAsync(string user, string job, RunSpec spec, CancellationToken cancellationToken = default);

    /// <summary>SIGTERM, then SIGKILL after <paramref name="gracePeriod"/>; revokes device ACLs first in ACL mode.</summary>
    Task StopAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default);

    /// <summary>Stops (as <see cref="StopAsync"/>) and deletes the container; fails if it does not exist.</summary>
    Task RemoveAsync(string user, string job, TimeSpan gracePeriod, CancellationToken cancellationToken = default);

    /// <summary>Revokes a finished job's device ACLs (a no-op when the policy does not manage them).</summary>
    Task ReleaseAsync(string user, string job, CancellationToken cancellationToken = default);

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
    /// The job's output, line by line, as podman writes it; with <see cref="LogsSpec.Follow"/> until the
    /// job ends or the token is cancelled (which ends the launcher too).
    /// </summary>
    IAsyncEnumerable<string> StreamLogsAsync(string user, string job, LogsSpec options, CancellationToken cancellationToken = default);

    /// <summary>The host self-test; with a user, podman is also tried as that user.</summary>
    Task<IReadOnlyList<CheckItem>> CheckAsync(string? user, CancellationToken cancellationToken = default);
}

/// <summary>What <see cref="ILauncher.ListJobsAsync"/> reports: podman's containers and the kernel's job cgroups.</summary>
public sealed record UserJobs(IReadOnlyList<ContainerState> Containers, IReadOnlyList<CgroupState> Cgroups);

/// <summary>A started job's container.</summary>
public sealed record StartedJob(string ContainerId, string ContainerName, IReadOnlyList<string> Warnings);
