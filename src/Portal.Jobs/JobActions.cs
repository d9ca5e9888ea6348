using Microsoft.Extensions.Options;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Data.Jobs;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using ProtocolMount = Portal.Launcher.Protocol.MountSpec;

namespace Portal.Jobs;

/// <summary>
/// The launcher calls for one job and how their outcome is recorded: launch (or adopt), follow what podman reports,
/// stop at the walltime, clean up. Every launcher call acts as the job's owner. Used only from the
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

    /// <summary>
    /// Starts the container of a job already committed as Starting on <paramref name="gpus"/>, and records the result:
    /// Running with the container id, or Failed with the launcher's message and no container left behind. If a
    /// container with the job's name exists already (the launch of a portal that died mid-way got there first),
    /// that container is adopted instead: the name is derived from the job id, so podman itself refuses a second one.
    /// </summary>
    public async Task LaunchAsync(long jobId, string owner, JobSpec spec, IReadOnlyList<string> gpus, CancellationToken cancellationToken)
    {
        var key = JobKeys.Format(jobId);
        StartedJob started;
        try
        {
            started = await launcher.RunAsync(owner, key, ToRunSpec(spec, gpus), cancellationToken);
        }
        catch (LauncherException e) when (IsNameInUse(e))
        {
            LogAdopting(jobId, owner);
            var job = new ActiveJob(jobId, owner, JobState.Starting, DateTimeOffset.MinValue, timeProvider.GetUtcNow(), gpus.Count);
            if (await InspectOrNullAsync(owner, key, cancellationToken) is { } existing)
            {
                await FollowAsync(job, existing, cancellationToken);
            }

            return;
        }
        catch (LauncherException e)
        {
            await FailLaunchAsync(jobId, owner, gpus.Count, e.Message, cancellationToken);
            return;
        }

        foreach (var warning in started.Warnings)
        {
            LogLaunchWarning(jobId, owner, warning);
        }

        var marked = await store.MarkRunningAsync(jobId, started.ContainerId, cancellationToken);
        if (!marked.Applied)
        {
            LogNotRecorded(jobId, owner, "running", marked.Message);
        }
        else
        {
            LogStarted(jobId, owner, string.Join(",", gpus), started.ContainerId);
        }
    }

    /// <summary>
    /// Brings a Starting or Running job in line with its container as podman reports it (null: podman has none).
    /// Returns true when the job reached a final state.
    /// </summary>
    public async Task<bool> FollowAsync(ActiveJob job, ContainerState? container, CancellationToken cancellationToken)
    {
        if (container is null)
        {
            return job.State == JobState.Starting
                ? await ResumeLaunchAsync(job, cancellationToken)
                : await FinishAsync(job, JobState.Lost, null, "the container vanished: podman no longer knows it", cancellationToken);
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

                return container.ExitCode is { } exit
                    ? await FinishAsync(job, exit == 0 ? JobState.Succeeded : JobState.Failed, exit, null, cancellationToken)
                    : await FinishAsync(job, JobState.Lost, null, "the container ended without an exit code", cancellationToken);
            case ContainerPhase.Created when job.State == JobState.Starting
                && job.StartedAt is { } at && timeProvider.GetUtcNow() - at > _options.StuckLaunchTimeout:
                await RemoveContainerAsync(job.Owner, job.Key, TimeSpan.Zero, cancellationToken);
                return await FinishAsync(job, JobState.Failed, null, "the container was created but never started", cancellationToken);
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
        if (await StopAsync(job, cancellationToken) is null)
        {
            await FinishAsync(job, JobState.TimedOut, null, null, cancellationToken);
        }
    }

    /// <summary>
    /// Cancels a job: a queued one is withdrawn; a started one is stopped as its owner and marked Cancelled (its
    /// GPUs released, its exited container kept for the log). The caller has checked that the requester may.
    /// </summary>
    public async Task<JobChangeResult> CancelAsync(long jobId, string cancelledBy, CancellationToken cancellationToken)
    {
        var details = await store.GetAsync(jobId, Guid.Empty, isAdmin: true, cancellationToken);
        if (details is null)
        {
            return new JobChangeResult(JobChangeStatus.NotFound, $"There is no job {jobId}.");
        }

        var job = details.Job;
        using var scope = logger.BeginJobScope(job.Id, job.Owner);
        if (job.State == JobState.Queued)
        {
            var withdrawn = await store.CancelQueuedAsync(jobId, Guid.Empty, isAdmin: true, cancelledBy, cancellationToken);
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

        var active = new ActiveJob(job.Id, job.Owner, job.State, job.SubmittedAt, job.StartedAt, job.AssignedGpuUuids.Count);
        if (await StopAsync(active, cancellationToken) is { } problem)
        {
            return new JobChangeResult(JobChangeStatus.WrongState, $"Job {jobId} could not be stopped: {problem}");
        }

        return await EndAsync(active, JobState.Cancelled, null, cancelledBy, cancellationToken);
    }

    /// <summary>Stops and deletes a container (its job is over, unknown, or not this container's job). Failures are
    /// logged; the next reconciliation tries again.</summary>
    public async Task RemoveContainerAsync(string owner, string key, TimeSpan grace, CancellationToken cancellationToken)
    {
        try
        {
            await launcher.RemoveAsync(owner, key, grace, cancellationToken);
            LogRemoved(key, owner);
        }
        catch (LauncherException e)
        {
            LogRemoveFailed(key, owner, e.Message);
        }
    }

    /// <summary>The container, or null when podman has none by that name.</summary>
    /// <exception cref="LauncherException">The launcher itself failed (not reachable, refused, ...).</exception>
    public async Task<ContainerState?> InspectOrNullAsync(string owner, string key, CancellationToken cancellationToken)
    {
        try
        {
            return await launcher.InspectAsync(owner, key, cancellationToken);
        }
        catch (LauncherException e) when (e.Failure == LauncherFailure.OperationFailed)
        {
            // podman inspect ran as the owner and failed: there is no such container.
            return null;
        }
    }

    /// <summary>The launch request for a job: its spec, and the ledger's GPU UUIDs as the policy's GPU ids.</summary>
    public static RunSpec ToRunSpec(JobSpec spec, IReadOnlyList<string> gpus)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(gpus);
        return new RunSpec
        {
            Image = spec.Image,
            Command = spec.Command.Count > 0 ? [.. spec.Command] : null,
            Env = spec.Environment.Count > 0 ? new Dictionary<string, string>(spec.Environment, StringComparer.Ordinal) : null,
            Gpus = gpus.Count > 0 ? [.. gpus] : null,
            Mounts = spec.Mounts.Count > 0
                ? [.. spec.Mounts.Select(m => new ProtocolMount { Source = m.Source, Target = m.Target, ReadOnly = m.ReadOnly })]
                : null,
            Workdir = spec.WorkingDirectory,
            Cpus = spec.Cpus,
            MemoryMiB = spec.MemoryMiB,
        };
    }

    /// <summary>Records the end, releases the GPUs (in the same transaction) and the device ACLs, and wakes the
    /// scheduler so the freed GPUs go to the next job.</summary>
    private async Task<bool> FinishAsync(ActiveJob job, JobState state, int? exitCode, string? detail, CancellationToken cancellationToken) =>
        (await EndAsync(job, state, exitCode, detail, cancellationToken)).Applied;

    private async Task<JobChangeResult> EndAsync(ActiveJob job, JobState state, int? exitCode, string? detail, CancellationToken cancellationToken)
    {
        var result = await store.FinishAsync(job.Id, state, exitCode, detail, cancellationToken);
        if (!result.Applied)
        {
            LogNotRecorded(job.Id, job.Owner, state.ToString(), result.Message);
            return result;
        }

        LogFinished(job.Id, job.Owner, state, exitCode, detail);
        if (job.GpuCount > 0)
        {
            try
            {
                // A container that ended on its own (or vanished) still has its owner's ACLs on its GPU nodes.
                await launcher.ReleaseAsync(job.Owner, job.Key, cancellationToken);
            }
            catch (LauncherException e)
            {
                LogReleaseFailed(job.Id, job.Owner, e.Message);
            }
        }

        trigger.Request(SchedulingCause.JobFinished);
        return result;
    }

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
        var details = await store.GetAsync(job.Id, Guid.Empty, isAdmin: true, cancellationToken);
        if (details?.Job is not { State: JobState.Starting } stored)
        {
            return false;
        }

        LogResuming(job.Id, job.Owner);
        await LaunchAsync(stored.Id, stored.Owner, stored.Spec, stored.AssignedGpuUuids, cancellationToken);
        var after = await store.GetAsync(job.Id, Guid.Empty, isAdmin: true, cancellationToken);
        return after?.Job.State.IsFinal() == true;
    }

    private async Task FailLaunchAsync(long jobId, string owner, int gpuCount, string message, CancellationToken cancellationToken)
    {
        var key = JobKeys.Format(jobId);
        try
        {
            // A run can fail after podman created the container (e.g. the runtime refused to start it).
            if (await InspectOrNullAsync(owner, key, cancellationToken) is not null)
            {
                await RemoveContainerAsync(owner, key, TimeSpan.Zero, cancellationToken);
            }
        }
        catch (LauncherException e)
        {
            LogRemoveFailed(key, owner, e.Message);
        }

        LogLaunchFailed(jobId, owner, message);
        var job = new ActiveJob(jobId, owner, JobState.Starting, DateTimeOffset.MinValue, null, gpuCount);
        await FinishAsync(job, JobState.Failed, null, message, cancellationToken);
    }

    /// <summary>Stops the job's container as its owner. Returns null when nothing of it runs any more (stopped now,
    /// ended before, or no container at all), else why it may still run.</summary>
    private async Task<string?> StopAsync(ActiveJob job, CancellationToken cancellationToken)
    {
        try
        {
            await launcher.StopAsync(job.Owner, job.Key, _options.StopGracePeriod, cancellationToken);
            return null;
        }
        catch (LauncherException e)
        {
            ContainerState? container;
            try
            {
                container = await InspectOrNullAsync(job.Owner, job.Key, cancellationToken);
            }
            catch (LauncherException inspectFailure)
            {
                LogStopFailed(job.Id, job.Owner, $"{e.Message}; {inspectFailure.Message}");
                return e.Message;
            }

            if (container is not null && ContainerStates.Phase(container) != ContainerPhase.Ended)
            {
                LogStopFailed(job.Id, job.Owner, e.Message);
                return e.Message;
            }

            return null;
        }
    }

    private static bool IsNameInUse(LauncherException e) =>
        e.Failure == LauncherFailure.OperationFailed
        && (e.Message.Contains("already in use", StringComparison.Ordinal) || e.Stderr.Contains("already in use", StringComparison.Ordinal));

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner}: could not release its GPU devices: {Problem}")]
    private partial void LogReleaseFailed(long jobId, string owner, string problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Removed the container of job {JobKey} of {Owner}")]
    private partial void LogRemoved(string jobKey, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not remove the container of job {JobKey} of {Owner}: {Problem}")]
    private partial void LogRemoveFailed(string jobKey, string owner, string problem);
}
