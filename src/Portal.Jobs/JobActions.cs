using Microsoft.Extensions.Options;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Data.Jobs;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;

namespace Portal.Jobs;

/// <summary>
/// The launcher calls for one job and how their outcome is recorded: launch (or adopt), follow what podman and the
/// kernel (the job's cgroup) report, stop at the walltime, clean up. Every launcher call acts as the job's owner. Used only from the
/// <see cref="JobRunner"/>'s single loop, so two of these never work on the same job at once in one portal.
/// </summary>
internal sealed partial class JobActions(
    JobStore store,
    ILauncher launcher,
    SchedulingTrigger trigger,
    IOptions<JobRunnerOptions> options,
    TimeProvider timeProvider,
    ILogger<JobActions> logger)
{
    private readonly JobRunnerOptions _options = options.Value;

    /// <summary>How long after its command exited a job's cgroup may still hold processes (conmon, podman's clean-up)
    /// before they count as leftovers to kill; generous, so that a loaded host's slow clean-up is never taken for one.</summary>
    private static readonly TimeSpan ExitCleanupGrace = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Starts the container of <paramref name="job"/>, already committed as Starting on <paramref name="gpus"/>, and
    /// records the result: Running with the container id, or Failed with the launcher's message and no container left
    /// behind. If a container with the job's name exists already (the launch of a portal that died mid-way got there
    /// first), that container is adopted instead: the name is derived from the job id, so podman itself refuses a
    /// second one.
    /// </summary>
    public async Task LaunchAsync(ActiveJob job, JobSpec spec, IReadOnlyList<string> gpus, CancellationToken cancellationToken)
    {
        StartedJob started;
        try
        {
            started = spec.IsApp
                ? await launcher.AppUpAsync(job.Owner, job.Key, AppRequests.Build(spec, gpus), cancellationToken)
                : await launcher.RunAsync(job.Owner, job.Key, spec.ToRunSpec(job.Id, gpus), cancellationToken);
        }
        catch (LauncherException e) when (IsNameInUse(e))
        {
            LogAdopting(job.Id, job.Owner);
            if (await InspectOrNullAsync(job.Owner, job.Key, job.IsApp, cancellationToken) is { } existing)
            {
                await FollowAsync(job, existing, existing.Cgroup, cancellationToken);
            }

            return;
        }
        catch (LauncherException e)
        {
            await FailLaunchAsync(job, e.Message, cancellationToken);
            return;
        }

        foreach (var warning in started.Warnings)
        {
            LogLaunchWarning(job.Id, job.Owner, warning);
        }

        var marked = await store.MarkRunningAsync(job.Id, started.ContainerId, cancellationToken);
        if (!marked.Applied)
        {
            LogNotRecorded(job.Id, job.Owner, "running", marked.Message);
        }
        else
        {
            LogStarted(job.Id, job.Owner, string.Join(",", gpus), started.ContainerId);
        }
    }

    /// <summary>
    /// Brings a Starting or Running job in line with its container as podman reports it (null: podman has none) and its
    /// cgroup as the kernel reports it (null: the launcher keeps none for it, and podman's word is all there is).
    /// A job whose cgroup holds processes runs, whatever podman says; its GPUs are released only once the cgroup is
    /// empty. Returns true when the job reached a final state.
    /// </summary>
    public async Task<bool> FollowAsync(ActiveJob job, ContainerState? container, CgroupState? cgroup, CancellationToken cancellationToken)
    {
        cgroup = KnownCgroup(container?.Cgroup) ?? KnownCgroup(cgroup);
        if (container is null)
        {
            if (job.State == JobState.Starting)
            {
                return await ResumeLaunchAsync(job, cancellationToken);
            }

            if (cgroup is { Populated: true })
            {
                // Podman lost its record (its database hidden, replaced or broken); the kernel says the job runs.
                LogRunsWithoutContainer(job.Id, job.Owner);
                return false;
            }

            return await FinishAsync(job, JobState.Lost, null, cgroup is null
                ? "the container vanished: podman no longer knows it"
                : "its processes ended while podman had no record of its container (no exit code)", cgroup, cancellationToken);
        }

        switch (ContainerStates.Phase(container))
        {
            case ContainerPhase.Alive when job.State == JobState.Starting:
                await AdoptAsync(job, container, cancellationToken);
                return false;
            case ContainerPhase.Ended:
                if (job.State == JobState.Starting && !await AdoptAsync(job, container, cancellationToken))
                {
                    return false;
                }

                if (cgroup is { Populated: true })
                {
                    // conmon and podman's clean-up stay in the job's cgroup for a moment after the command exits (they
                    // record the exit and tear down the container); killing them then would break that clean-up and a
                    // reader's `podman logs -f`. What is still there after ExitCleanupGrace is a leftover.
                    if (container.FinishedAt is { } finished && timeProvider.GetUtcNow() - finished < ExitCleanupGrace)
                    {
                        return false;
                    }

                    // The command ended but something of the job lives on (a process that daemonized, a stuck conmon):
                    // it must be gone before the GPUs go to another job. The launcher's stop kills it as root.
                    LogLeftovers(job.Id, job.Owner);
                    var (problem, stopped) = await StopAsync(job, cancellationToken);
                    if (problem is not null)
                    {
                        return false;
                    }

                    cgroup = stopped ?? cgroup with { Populated = false };
                }

                return container.ExitCode is { } exit
                    ? await FinishAsync(job, exit == 0 ? JobState.Succeeded : JobState.Failed, exit, null, cgroup, cancellationToken)
                    : await FinishAsync(job, JobState.Lost, null, "the container ended without an exit code", cgroup, cancellationToken);
            case ContainerPhase.Created when job.State == JobState.Starting
                && job.StartedAt is { } at && timeProvider.GetUtcNow() - at > _options.StuckLaunchTimeout:
                await RemoveContainerAsync(job.Owner, job.Key, TimeSpan.Zero, job.IsApp, cancellationToken);
                return await FinishAsync(job, JobState.Failed, null, "the container was created but never started", null, cancellationToken);
            default:
                // Alive and already Running, or a launch still in flight: nothing to record.
                return false;
        }
    }

    /// <summary>
    /// Stops a job past its walltime (SIGTERM, SIGKILL after the grace period) and marks it TimedOut. The exited
    /// container is kept for its log. If the stop fails and the container may still run, the job is left as it is
    /// (its GPUs stay booked) and the next pass tries again.
    /// </summary>
    public async Task TimeOutAsync(ActiveJob job, CancellationToken cancellationToken)
    {
        var (problem, cgroup) = await StopAsync(job, cancellationToken);
        if (problem is null)
        {
            await FinishAsync(job, JobState.TimedOut, null, null, cgroup, cancellationToken);
        }
    }

    /// <summary>
    /// Cancels a job: a queued one is withdrawn; a started one is stopped as its owner and marked Cancelled (its
    /// GPUs released, its exited container kept for the log). The caller has checked that the requester may.
    /// </summary>
    public async Task<JobChangeResult> CancelAsync(long jobId, string cancelledBy, CancellationToken cancellationToken)
    {
        var details = await store.FindAsync(jobId, cancellationToken);
        if (details is null)
        {
            return new JobChangeResult(JobChangeStatus.NotFound, $"There is no job {jobId}.");
        }

        var job = details.Job;
        using var scope = logger.BeginJobScope(job.Id, job.Owner);
        if (job.State == JobState.Queued)
        {
            var withdrawn = await store.CancelQueuedAsync(jobId, cancelledBy, cancellationToken);
            if (withdrawn.Applied)
            {
                trigger.Request(SchedulingCause.JobFinished);
            }

            return withdrawn;
        }

        if (!job.State.HoldsGpus())
        {
            return new JobChangeResult(JobChangeStatus.WrongState, $"Job {jobId} is {job.State}; it has ended already.");
        }

        var active = ActiveJob.From(job);
        var (problem, cgroup) = await StopAsync(active, cancellationToken);
        if (problem is not null)
        {
            return new JobChangeResult(JobChangeStatus.WrongState, $"Job {jobId} could not be stopped: {problem}");
        }

        return await EndAsync(active, JobState.Cancelled, null, cancelledBy, cgroup, cancellationToken);
    }

    /// <summary>
    /// Stops a running restartable job and queues it again: stopped as its owner like a cancel, its container removed
    /// (the next attempt's container gets the same name, and an old one would be taken for it), released at the
    /// launcher (device ACLs, cgroup emptied and removed), then queued with its GPUs released in one transaction. A job
    /// that is not restartable (or whose container cannot be removed) ends Cancelled, as a plain stop would; the
    /// message then starts with <see cref="JobRunner.NotRestartable"/> or says what failed.
    /// </summary>
    public async Task<JobChangeResult> RequeueAsync(long jobId, string stoppedBy, string reason, CancellationToken cancellationToken)
    {
        var details = await store.FindAsync(jobId, cancellationToken);
        if (details?.Job is not { State: JobState.Running, Spec.Restartable: true } job)
        {
            var cancelled = await CancelAsync(jobId, stoppedBy, cancellationToken);
            return cancelled.Applied && details is not null
                ? new JobChangeResult(JobChangeStatus.Applied, $"{JobRunner.NotRestartable}: job {jobId} was stopped, not requeued.")
                : cancelled;
        }

        using var scope = logger.BeginJobScope(job.Id, job.Owner);
        var active = ActiveJob.From(job);
        var (problem, cgroup) = await StopAsync(active, cancellationToken);
        if (problem is not null)
        {
            return new JobChangeResult(JobChangeStatus.WrongState, $"Job {jobId} could not be stopped: {problem}");
        }

        try
        {
            await launcher.RemoveAsync(job.Owner, active.Key, TimeSpan.Zero, cancellationToken);
        }
        catch (LauncherException e)
        {
            // Its container stays; the job cannot start again under its name, so it ends as a plain stop would.
            LogRemoveFailed(active.Key, job.Owner, e.Message);
            var ended = await EndAsync(active, JobState.Cancelled, null, stoppedBy, cgroup, cancellationToken);
            return ended.Applied
                ? new JobChangeResult(JobChangeStatus.Applied, $"{JobRunner.NotRestartable} now: its container could not be removed ({e.Message}); job {jobId} was stopped.")
                : ended;
        }

        try
        {
            await launcher.ReleaseAsync(job.Owner, active.Key, cancellationToken);
        }
        catch (LauncherException e) when (e.Response?.Cgroup is { Exists: true, Populated: true })
        {
            LogReleaseFailed(job.Id, job.Owner, e.Message);
            return new JobChangeResult(JobChangeStatus.WrongState, $"Job {jobId} still has processes: {e.Message}");
        }
        catch (LauncherException e)
        {
            LogReleaseFailed(job.Id, job.Owner, e.Message);
        }

        var result = await store.RequeueAsync(jobId, reason, cancellationToken);
        if (!result.Applied)
        {
            LogNotRecorded(job.Id, job.Owner, "the requeue", result.Message);
            return result;
        }

        LogRequeued(job.Id, job.Owner, reason);
        trigger.Request(SchedulingCause.JobFinished);
        return result;
    }

    /// <summary>Stops and deletes a container, or an app's whole pod (its job is over, unknown, or not this container's
    /// job). Failures are logged; the next reconciliation tries again.</summary>
    public async Task RemoveContainerAsync(string owner, string key, TimeSpan grace, bool isApp, CancellationToken cancellationToken)
    {
        try
        {
            if (isApp)
            {
                await launcher.AppRemoveAsync(owner, key, grace, cancellationToken);
            }
            else
            {
                await launcher.RemoveAsync(owner, key, grace, cancellationToken);
            }

            LogRemoved(key, owner);
        }
        catch (LauncherException e)
        {
            LogRemoveFailed(key, owner, e.Message);
        }
    }

    /// <summary>The container (for an app, its services seen as one job), or null when podman has none by that name.</summary>
    /// <exception cref="LauncherException">The launcher itself failed (not reachable, refused, ...).</exception>
    public async Task<ContainerState?> InspectOrNullAsync(string owner, string key, bool isApp, CancellationToken cancellationToken)
    {
        try
        {
            if (isApp)
            {
                var services = await launcher.AppInspectAsync(owner, key, cancellationToken);
                return services.Count == 0 ? null : AppStates.Aggregate(key, owner, services);
            }

            return await launcher.InspectAsync(owner, key, cancellationToken);
        }
        catch (LauncherException e) when (e.Failure == LauncherFailure.OperationFailed)
        {
            // podman inspect ran as the owner and failed: there is no such container.
            return null;
        }
    }

    /// <summary>Releases the job at the launcher (device ACLs, and its cgroup, emptied and removed), then records the end
    /// and releases the GPUs (in the same transaction), and wakes the scheduler so the freed GPUs go to the next job.</summary>
    private async Task<bool> FinishAsync(ActiveJob job, JobState state, int? exitCode, string? detail, CgroupState? cgroup, CancellationToken cancellationToken) =>
        (await EndAsync(job, state, exitCode, detail, cgroup, cancellationToken)).Applied;

    /// <param name="job">The job, whose processes are known to be gone (its cgroup empty, or podman's word where it has none).</param>
    /// <param name="state">How it ended.</param>
    /// <param name="exitCode">The command's exit code, when it ran to an end.</param>
    /// <param name="detail">Why, for the history.</param>
    /// <param name="cgroup">The job's cgroup as last seen (by the list or the stop), for its accounting when the release
    /// cannot give the final figures.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    private async Task<JobChangeResult> EndAsync(ActiveJob job, JobState state, int? exitCode, string? detail, CgroupState? cgroup, CancellationToken cancellationToken)
    {
        // Every ended job, not only GPU jobs: a container that ended on its own (or vanished) still has its owner's ACLs
        // on its GPU nodes, a session its socket folder, and the job its cgroup. Release runs no podman, so it costs
        // little; it kills whatever is left in the cgroup and answers ok only once it is empty, so it comes before the
        // GPUs are handed back.
        try
        {
            cgroup = KnownCgroup(await launcher.ReleaseAsync(job.Owner, job.Key, cancellationToken)) ?? cgroup;
        }
        catch (LauncherException e) when (e.Response?.Cgroup is { Exists: true, Populated: true })
        {
            LogReleaseFailed(job.Id, job.Owner, e.Message);
            return new JobChangeResult(JobChangeStatus.WrongState, $"Job {job.Id} still has processes: {e.Message}");
        }
        catch (LauncherException e)
        {
            LogReleaseFailed(job.Id, job.Owner, e.Message);
        }

        var usage = cgroup is null ? null : new JobResourceUsage(cgroup.CpuSeconds, cgroup.PeakMemoryBytes, cgroup.OomKills);
        var result = await store.FinishAsync(job.Id, state, exitCode, detail, usage, cgroup?.MemoryLimitBytes, cancellationToken);
        if (!result.Applied)
        {
            LogNotRecorded(job.Id, job.Owner, state.ToString(), result.Message);
            return result;
        }

        if (usage is { RanOutOfMemory: true })
        {
            LogOutOfMemory(job.Id, job.Owner, usage.OomKills, cgroup!.MemoryLimitBytes);
        }

        LogFinished(job.Id, job.Owner, state, exitCode, detail);
        trigger.Request(SchedulingCause.JobFinished);
        return result;
    }

    /// <summary>The cgroup when the launcher keeps one for the job; null when podman's word is all there is.</summary>
    private static CgroupState? KnownCgroup(CgroupState? cgroup) => cgroup is { Exists: true } ? cgroup : null;

    private async Task<bool> AdoptAsync(ActiveJob job, ContainerState container, CancellationToken cancellationToken)
    {
        var result = await store.MarkRunningAsync(job.Id, container.Id ?? container.Name, cancellationToken);
        if (!result.Applied)
        {
            LogNotRecorded(job.Id, job.Owner, "running", result.Message);
            return false;
        }

        LogAdopted(job.Id, job.Owner, container.Id ?? container.Name);
        return true;
    }

    /// <summary>
    /// A Starting job without a container: the portal stopped (or failed) between committing the start and the
    /// launch. Launch it again: if the first launch is in fact still under way, podman refuses the second on the
    /// container name and the first is adopted, so the job never runs twice.
    /// </summary>
    private async Task<bool> ResumeLaunchAsync(ActiveJob job, CancellationToken cancellationToken)
    {
        var details = await store.FindAsync(job.Id, cancellationToken);
        if (details?.Job is not { State: JobState.Starting } stored)
        {
            return false;
        }

        LogResuming(job.Id, job.Owner);
        await LaunchAsync(ActiveJob.From(stored), stored.Spec, stored.AssignedGpuUuids, cancellationToken);
        var after = await store.FindAsync(job.Id, cancellationToken);
        return after?.Job.State.IsFinal() == true;
    }

    private async Task FailLaunchAsync(ActiveJob job, string message, CancellationToken cancellationToken)
    {
        try
        {
            // A run can fail after podman created the container (e.g. the runtime refused to start it). (An app-up that
            // fails removes its own pod; this is for one whose launcher was cut short.)
            if (await InspectOrNullAsync(job.Owner, job.Key, job.IsApp, cancellationToken) is not null)
            {
                await RemoveContainerAsync(job.Owner, job.Key, TimeSpan.Zero, job.IsApp, cancellationToken);
            }
        }
        catch (LauncherException e)
        {
            LogRemoveFailed(job.Key, job.Owner, e.Message);
        }

        LogLaunchFailed(job.Id, job.Owner, message);
        await FinishAsync(job, JobState.Failed, null, message, null, cancellationToken);
    }

    /// <summary>Stops the job as its owner: podman's stop, then the launcher empties the job's cgroup as root. Returns no
    /// problem when nothing of it runs any more (stopped now, ended before, or no container at all), with the emptied
    /// cgroup and its final figures where the launcher keeps one; else why it may still run.</summary>
    private async Task<(string? Problem, CgroupState? Cgroup)> StopAsync(ActiveJob job, CancellationToken cancellationToken)
    {
        try
        {
            var cgroup = job.IsApp
                ? await launcher.AppStopAsync(job.Owner, job.Key, _options.StopGracePeriod, cancellationToken)
                : await launcher.StopAsync(job.Owner, job.Key, _options.StopGracePeriod, cancellationToken);
            return (null, KnownCgroup(cgroup));
        }
        catch (LauncherException e)
        {
            if (KnownCgroup(e.Response?.Cgroup) is { } failed)
            {
                // The kernel's word: a job whose cgroup is empty is stopped, whatever podman answered.
                return failed.Populated ? Stuck(job, e.Message, failed) : (null, failed);
            }

            ContainerState? container;
            try
            {
                container = await InspectOrNullAsync(job.Owner, job.Key, job.IsApp, cancellationToken);
            }
            catch (LauncherException inspectFailure)
            {
                return Stuck(job, $"{e.Message}; {inspectFailure.Message}", null);
            }

            if (KnownCgroup(container?.Cgroup) is { } inspected)
            {
                return inspected.Populated ? Stuck(job, e.Message, inspected) : (null, inspected);
            }

            if (container is not null && ContainerStates.Phase(container) != ContainerPhase.Ended)
            {
                return Stuck(job, e.Message, null);
            }

            return (null, null);
        }
    }

    private (string? Problem, CgroupState? Cgroup) Stuck(ActiveJob job, string problem, CgroupState? cgroup)
    {
        LogStopFailed(job.Id, job.Owner, problem);
        return (problem, cgroup);
    }

    private static bool IsNameInUse(LauncherException e) =>
        e.Failure == LauncherFailure.OperationFailed
        && (e.Message.Contains("already in use", StringComparison.Ordinal) || e.Stderr.Contains("already in use", StringComparison.Ordinal)
            || e.Message.Contains("already exists", StringComparison.Ordinal));

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Owner} started on GPUs [{Gpus}] in container {ContainerId}")]
    private partial void LogStarted(long jobId, string owner, string gpus, string containerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner} could not be started: {Problem}")]
    private partial void LogLaunchFailed(long jobId, string owner, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Owner}: {Warning}")]
    private partial void LogLaunchWarning(long jobId, string owner, string warning);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner}: its container exists already (an earlier launch got there first); adopting it")]
    private partial void LogAdopting(long jobId, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Owner} adopted: container {ContainerId} runs")]
    private partial void LogAdopted(long jobId, string owner, string containerId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner} was starting without a container; launching it again")]
    private partial void LogResuming(long jobId, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Owner} ended {State} (exit code {ExitCode}) {Detail}")]
    private partial void LogFinished(long jobId, string owner, JobState state, int? exitCode, string? detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner}: could not record {What}: {Problem}")]
    private partial void LogNotRecorded(long jobId, string owner, string what, string? problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner} could not be stopped: {Problem}")]
    private partial void LogStopFailed(long jobId, string owner, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner}: the launcher could not release it (device ACLs, cgroup): {Problem}")]
    private partial void LogReleaseFailed(long jobId, string owner, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner} hit its memory limit ({LimitBytes} bytes): the kernel's OOM killer ended {OomKills} of its processes")]
    private partial void LogOutOfMemory(long jobId, string owner, long oomKills, long? limitBytes);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Job {JobId} of {Owner}: podman has no record of its container, but its cgroup holds processes: it runs")]
    private partial void LogRunsWithoutContainer(long jobId, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner}: its command ended but processes are left in its cgroup; stopping them before its GPUs are released")]
    private partial void LogLeftovers(long jobId, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Owner} was stopped and queued again: {Reason}")]
    private partial void LogRequeued(long jobId, string owner, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed the container of job {JobKey} of {Owner}")]
    private partial void LogRemoved(string jobKey, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the container of job {JobKey} of {Owner}: {Problem}")]
    private partial void LogRemoveFailed(string jobKey, string owner, string problem);
}
