using Microsoft.Extensions.Options;
using Portal.Core.Jobs;
using Portal.Data.Accounts;
using Portal.Data.Jobs;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;

namespace Portal.Jobs;

/// <summary>
/// Compares the database with what podman and the kernel report, owner by owner (one launcher <c>list</c> per owner,
/// never one call per job: it returns the owner's containers and the launcher's job cgroups). Containers outlive the
/// portal, so this is what makes a restart (or a crash) lose nothing:
/// <list type="bullet">
/// <item>a Starting job whose container runs is adopted (Running); one whose container exited gets its exit code;</item>
/// <item>a Starting job without a container is launched again (a second launch of the same job fails on the
/// container name, which the launch treats as adoption, so a job never runs twice);</item>
/// <item>a job whose cgroup holds processes runs, whatever podman says (its container missing or exited); a Running
/// job becomes Lost only when neither a running container nor a populated cgroup is left; a job whose command ended
/// with processes left in its cgroup is stopped (the launcher kills them as root) before it ends and its GPUs go;</item>
/// <item>with <c>cleanUp</c>: containers of finished jobs are removed once <see cref="JobRunnerOptions.KeepFinishedContainers"/>
/// has passed (at once if they still run, since their GPUs went back to the pool), and containers labelled with a
/// job id the database does not know are stopped and removed; so are job cgroups podman has no container for whose
/// job is over or unknown (the launcher's release kills what is left in them and removes them).</item>
/// </list>
/// A failed <c>list</c> proves nothing, so that owner is skipped until the next round.
/// </summary>
internal sealed partial class Reconciler(
    JobStore store,
    ILauncher launcher,
    JobActions actions,
    UserStore users,
    IOptions<JobRunnerOptions> options,
    TimeProvider timeProvider,
    ILogger<Reconciler> logger)
{
    /// <summary>Far above the host check's own one-minute deadline for its container.</summary>
    private static readonly TimeSpan HostCheckLifetime = TimeSpan.FromMinutes(10);

    private readonly JobRunnerOptions _options = options.Value;

    /// <summary>One round, owner after owner (the job runner instead runs each owner's share in that owner's lane,
    /// <see cref="OwnersAsync"/> and <see cref="ReconcileAsync"/>).</summary>
    /// <param name="cleanUp">False for the frequent completion watch (only owners with started jobs, only their
    /// started jobs); true for reconciliation (every account bound to a Linux user, and their leftover containers).</param>
    /// <param name="cancellationToken">Stops the round.</param>
    public async Task RunAsync(bool cleanUp, CancellationToken cancellationToken)
    {
        foreach (var round in await OwnersAsync(cleanUp, cancellationToken))
        {
            await ReconcileAsync(round, cleanUp, cancellationToken);
        }
    }

    /// <summary>Who a round looks at, each owner with their started jobs as the database has them now.</summary>
    /// <param name="cleanUp">As for <see cref="RunAsync"/>.</param>
    /// <param name="cancellationToken">Stops the reads.</param>
    public async Task<IReadOnlyList<OwnerRound>> OwnersAsync(bool cleanUp, CancellationToken cancellationToken)
    {
        var active = await StartedJobsAsync(cancellationToken);
        var owners = active.Select(j => j.Owner).ToHashSet(StringComparer.Ordinal);
        if (cleanUp)
        {
            // Disabled accounts too: their containers still need looking after.
            owners.UnionWith(await users.LinuxAccountNamesAsync(cancellationToken));
        }

        return [.. owners.Order(StringComparer.Ordinal).Select(owner => new OwnerRound(owner, [.. active.Where(j => j.Owner == owner)]))];
    }

    /// <summary>One owner's share of a round: one launcher <c>list</c>, then each of the owner's jobs followed. A failure
    /// is logged; the next round tries again.</summary>
    public async Task ReconcileAsync(OwnerRound round, bool cleanUp, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(round);
        using var scope = logger.BeginUserScope(round.Owner);
        try
        {
            await ReconcileOwnerAsync(round.Owner, [.. round.Jobs], cleanUp, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogOwnerFailed(e, round.Owner);
        }
    }

    private async Task ReconcileOwnerAsync(string owner, List<ActiveJob> jobs, bool cleanUp, CancellationToken cancellationToken)
    {
        UserJobs listed;
        try
        {
            listed = await launcher.ListJobsAsync(owner, cancellationToken);
        }
        catch (LauncherException e)
        {
            // Even when the failed answer carries the job cgroups, podman's half is missing: a job may have ended
            // with an exit code nobody has read yet. A job that runs loses nothing by waiting for the next round.
            LogListFailed(owner, e.Message);
            return;
        }

        var containers = listed.Containers;
        var cgroups = new Dictionary<long, CgroupState>();
        foreach (var cgroup in listed.Cgroups)
        {
            if (cgroup.Exists && JobKeys.TryParse(cgroup.Job, out var jobId))
            {
                cgroups.TryAdd(jobId, cgroup);
            }
        }

        var byJob = new Dictionary<long, ContainerState>();
        var strays = new List<ContainerState>();
        foreach (var container in containers)
        {
            if (JobKeys.TryParse(container.Job, out var id) && byJob.TryAdd(id, container))
            {
                continue;
            }

            strays.Add(container);
        }

        foreach (var job in jobs)
        {
            using var scope = logger.BeginJobScope(job.Id, owner);
            byJob.Remove(job.Id, out var container);
            cgroups.Remove(job.Id, out var cgroup);
            if (container is not null && ContainerStates.PredatesJob(container, job.SubmittedAt))
            {
                // Left from an earlier job with the same id; it also blocks this job's container name.
                LogForeign(job.Key, owner, "it started before the job was submitted");
                await actions.RemoveContainerAsync(owner, job.Key, _options.StopGracePeriod, container.App is not null, cancellationToken);
                container = null;
                cgroup = null;
            }

            try
            {
                await actions.FollowAsync(job, container, cgroup, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogJobFailed(e, job.Id, owner);
            }
        }

        if (!cleanUp)
        {
            return;
        }

        foreach (var (id, container) in byJob)
        {
            using var scope = logger.BeginJobScope(id, owner);
            cgroups.Remove(id, out var cgroup);
            await CleanUpAsync(owner, id, container, cgroup, cancellationToken);
        }

        foreach (var (id, cgroup) in cgroups)
        {
            using var scope = logger.BeginJobScope(id, owner);
            await ReleaseLeftoverCgroupAsync(owner, id, cgroup, cancellationToken);
        }

        foreach (var stray in strays)
        {
            // Only a valid job id names a container the launcher can act on (portal-job-<id>).
            if (HostCheckUnderway(stray))
            {
                // The admin's host check owns it and removes it when 'true' has exited; it is no leftover yet.
                continue;
            }

            if (LinuxJobKey(stray.Job))
            {
                LogForeign(stray.Job!, owner, "its job label is not a job of this portal");
                await actions.RemoveContainerAsync(owner, stray.Job!, _options.StopGracePeriod, stray.App is not null, cancellationToken);
            }
        }
    }

    /// <summary>A container whose job is not Starting or Running.</summary>
    private async Task CleanUpAsync(string owner, long id, ContainerState container, CgroupState? cgroup, CancellationToken cancellationToken)
    {
        var key = JobKeys.Format(id);
        var details = await store.FindAsync(id, cancellationToken);
        if (details is null || details.Job.Owner != owner || details.Job.State == JobState.Queued)
        {
            LogForeign(key, owner, details is null ? "the database has no such job" : "the job never started as this user");
            await actions.RemoveContainerAsync(owner, key, _options.StopGracePeriod, container.App is not null, cancellationToken);
            return;
        }

        if (!details.Job.State.IsFinal())
        {
            // It started after this round read the started jobs; the next round follows it.
            return;
        }

        var phase = ContainerStates.Phase(container);
        if (phase is ContainerPhase.Alive or ContainerPhase.Created || cgroup is { Populated: true })
        {
            // The job is over and its GPUs are back in the pool: nothing of it may keep running.
            LogStillRunning(id, owner, details.Job.State);
            await actions.RemoveContainerAsync(owner, key, _options.StopGracePeriod, container.App is not null, cancellationToken);
        }
        else if (phase == ContainerPhase.Ended && details.Job.EndedAt is { } ended
            && timeProvider.GetUtcNow() - ended >= _options.KeepFinishedContainers)
        {
            await actions.RemoveContainerAsync(owner, key, TimeSpan.Zero, container.App is not null, cancellationToken);
        }
    }

    /// <summary>
    /// A job cgroup podman has no container for, of a job that is not Starting or Running (when the round read them):
    /// its job is over, unknown, or never started as this user, so nothing in it may run. The launcher's release kills
    /// what is left, revokes the device ACLs and removes the cgroup.
    /// </summary>
    private async Task ReleaseLeftoverCgroupAsync(string owner, long id, CgroupState cgroup, CancellationToken cancellationToken)
    {
        var details = await store.FindAsync(id, cancellationToken);
        if (details is not null && details.Job.Owner == owner && !details.Job.State.IsFinal() && details.Job.State != JobState.Queued)
        {
            // It started after this round read the started jobs; the next round follows it.
            return;
        }

        var key = JobKeys.Format(id);
        LogLeftoverCgroup(key, owner, cgroup.Populated);
        try
        {
            await launcher.ReleaseAsync(owner, key, cancellationToken);
        }
        catch (LauncherException e)
        {
            LogReleaseFailed(key, owner, e.Message);
        }
    }

    private async Task<List<ActiveJob>> StartedJobsAsync(CancellationToken cancellationToken) =>
        [.. (await store.ListStartedAsync(cancellationToken)).Select(ActiveJob.From)];

    /// <summary>A host check's container that started within the check's deadline (and a margin): the check is still
    /// waiting on it. One left by a portal that died mid-check is older and goes as any stray does.</summary>
    private bool HostCheckUnderway(ContainerState container) =>
        container.Job?.StartsWith(JobKeys.HostCheckPrefix, StringComparison.Ordinal) == true
        && (container.StartedAt is not { Year: > 2000 } started || timeProvider.GetUtcNow() - started < HostCheckLifetime);

    private static bool LinuxJobKey(string? label) =>
        label is { Length: > 0 and <= 64 } && label[0] != '-' && label.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-');

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not list the containers of {Owner}; their jobs are left as they are until the next round: {Problem}")]
    private partial void LogListFailed(string owner, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reconciling the jobs of {Owner} failed")]
    private partial void LogOwnerFailed(Exception e, string owner);

    [LoggerMessage(Level = LogLevel.Error, Message = "Following job {JobId} of {Owner} failed")]
    private partial void LogJobFailed(Exception e, long jobId, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Removing container of job {JobKey} of {Owner}: {Why}")]
    private partial void LogForeign(string jobKey, string owner, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Releasing the cgroup of job {JobKey} of {Owner} (processes left: {Populated}): its job is over or unknown and podman has no container for it")]
    private partial void LogLeftoverCgroup(string jobKey, string owner, bool populated);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not release the cgroup of job {JobKey} of {Owner}: {Problem}")]
    private partial void LogReleaseFailed(string jobKey, string owner, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner} is {State} but its container still runs; stopping it")]
    private partial void LogStillRunning(long jobId, string owner, JobState state);
}

/// <summary>One owner's share of a reconciliation round.</summary>
/// <param name="Owner">The Linux account.</param>
/// <param name="Jobs">Its Starting and Running jobs when the round began.</param>
internal sealed record OwnerRound(string Owner, IReadOnlyList<ActiveJob> Jobs);
