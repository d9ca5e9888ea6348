using System.Globalization;
using Microsoft.Extensions.Options;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Core.Slurm;
using Portal.Data.Entities.Jobs;
using Portal.Data.Jobs;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;

namespace Portal.Jobs.Slurm;

/// <summary>
/// The Slurm backend: a job submitted in the portal becomes a Slurm job of its owner (sbatch through the launcher, as
/// that user), once the owner is within the portal's own quotas (<see cref="SlurmAdmission"/>); Slurm then places it,
/// and the portal follows it with ONE squeue per round for every job it follows (plus one scontrol per job when it
/// starts and when it ends, for its GPUs and exit code, and sacct for jobs Slurm forgot, where slurmdbd runs).
/// </summary>
/// <remarks>
/// A job is Queued while Slurm has it pending (with Slurm's reason, mapped, and Slurm's own word kept), and moves to
/// Running when Slurm runs it. Before sbatch, the job is marked SUBMITTING: a portal that dies between sbatch and
/// recording the id finds the Slurm job again by its name (portal-&lt;id&gt;) and its owner, instead of submitting twice.
/// </remarks>
internal sealed partial class SlurmJobBackend(
    JobStore store,
    ISlurmLauncher launcher,
    SlurmCommands slurm,
    SchedulingTrigger trigger,
    IOptions<SlurmOptions> options,
    TimeProvider timeProvider,
    ILogger<SlurmJobBackend> logger) : IJobBackend
{
    private readonly SlurmOptions _options = options.Value;
    private bool? _accounting;

    public TimeSpan WatchInterval => _options.PollInterval;

    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        await FindSubmittedAsync(cancellationToken);
        await FollowAsync(cancellationToken);
    }

    public async Task PassAsync(CancellationToken cancellationToken)
    {
        await DispatchAsync(cancellationToken);
        await FollowAsync(cancellationToken);
    }

    public Task WatchAsync(CancellationToken cancellationToken) => FollowAsync(cancellationToken);

    public async Task ReconcileAsync(CancellationToken cancellationToken)
    {
        await FindSubmittedAsync(cancellationToken);
        await FollowAsync(cancellationToken);
    }

    /// <summary>Cancels on the runner's loop, at once (Slurm's own calls are short; the loop never overlaps them).</summary>
    public async Task<bool> TryCancelAsync(JobCancelRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.RequeueReason is not null)
        {
            // The idle reclaim that requeues judges this host's GPUs; Slurm's own requeue is not driven from here.
            request.Complete(new JobChangeResult(JobChangeStatus.WrongState,
                $"Job {request.JobId} runs on a Slurm cluster: the portal requeues only jobs on this host."));
            return true;
        }

        request.Complete(await CancelAsync(request.JobId, request.CancelledBy, cancellationToken));
        return true;
    }

    /// <summary>Nothing of this backend runs beside the runner's loop.</summary>
    public Task IdleAsync() => Task.CompletedTask;

    private async Task<JobChangeResult> CancelAsync(long jobId, string cancelledBy, CancellationToken cancellationToken)
    {
        var details = await store.GetAsync(jobId, Guid.Empty, isAdmin: true, cancellationToken);
        if (details is null)
        {
            return new JobChangeResult(JobChangeStatus.NotFound, $"There is no job {jobId}.");
        }

        var job = details.Job;
        using var scope = logger.BeginJobScope(job.Id, job.Owner);
        if (job.State.IsFinal())
        {
            return new JobChangeResult(JobChangeStatus.WrongState, $"Job {jobId} is {job.State}; it has ended already.");
        }

        var slurmId = SlurmId(details.Backend?.JobId);
        if (slurmId is null && details.Backend?.State == JobBackends.Submitting)
        {
            // A portal that died while handing it over: the Slurm job may exist without the portal knowing its id.
            slurmId = (await FindByNameAsync([(job.Id, job.Owner)], cancellationToken)).GetValueOrDefault(job.Id);
        }

        if (slurmId is { } id)
        {
            try
            {
                await launcher.CancelAsync(job.Owner, JobKeys.Format(job.Id), id, cancellationToken);
            }
            catch (LauncherException e)
            {
                LogCancelFailed(job.Id, job.Owner, id, e.Message);
                return new JobChangeResult(JobChangeStatus.WrongState, $"Job {jobId} could not be cancelled in Slurm: {e.Message}");
            }
        }

        var result = await store.RecordSlurmCancelledAsync(jobId, cancelledBy, cancellationToken);
        if (result.Applied)
        {
            LogCancelled(job.Id, job.Owner, slurmId, cancelledBy);
            trigger.Request(SchedulingCause.JobFinished);
        }

        return result;
    }

    /// <summary>Hands the queued jobs whose owners are within their quotas to Slurm; the others get the reason.</summary>
    private async Task DispatchAsync(CancellationToken cancellationToken)
    {
        var state = await store.LoadSlurmDispatchAsync(cancellationToken);
        if (state.Unsubmitted.Count == 0)
        {
            return;
        }

        var plan = SlurmAdmission.Decide(state.Unsubmitted, state.InFlight, state.DefaultQuota);
        await store.SetPendingReasonsAsync(plan.Pending, cancellationToken);
        var owners = state.Unsubmitted.ToDictionary(j => j.JobId, j => j.Owner);
        foreach (var id in plan.Submit)
        {
            using var scope = logger.BeginJobScope(id, owners[id]);
            try
            {
                await SubmitAsync(id, owners[id], state.Specs[id], cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogSubmitFailed(e, id, owners[id]);
            }
        }
    }

    private async Task SubmitAsync(long jobId, string owner, JobSpec spec, CancellationToken cancellationToken)
    {
        if (!await store.MarkSlurmSubmittingAsync(jobId, cancellationToken))
        {
            return;
        }

        var key = JobKeys.Format(jobId);
        SlurmSubmission submission;
        try
        {
            // An app is one Slurm job too: its pod and services, built on the node by the launcher's batch script.
            submission = spec.IsApp
                ? await launcher.SubmitAppAsync(owner, key, AppRequests.BuildForSlurm(spec), ToSlurmSpec(spec), cancellationToken)
                : await launcher.SubmitAsync(owner, key, spec.ToRunSpec(jobId, []), ToSlurmSpec(spec), cancellationToken);
        }
        catch (LauncherException e) when (e.Failure is LauncherFailure.OperationFailed or LauncherFailure.Refused)
        {
            // Slurm refused it (sbatch's own words), or the launcher's rules did: it can never run as asked.
            LogRefused(jobId, owner, e.Message);
            await store.RecordSlurmRefusedAsync(jobId, (e.Failure == LauncherFailure.Refused ? "The launcher refused the job: " : "Slurm refused the job: ") + e.Message, cancellationToken);
            trigger.Request(SchedulingCause.JobFinished);
            return;
        }
        catch (LauncherException e) when (e.Failure != LauncherFailure.TimedOut)
        {
            // The launcher could not run at all: nothing reached Slurm, so the job goes back to the queue.
            LogSubmitDeferred(jobId, owner, e.Message);
            await store.ClearSlurmSubmittingAsync(jobId, cancellationToken);
            return;
        }

        // A timed-out sbatch may still have created the job: it stays SUBMITTING, and FindSubmittedAsync looks for it.
        foreach (var warning in submission.Warnings)
        {
            LogSbatchWarning(jobId, owner, warning);
        }

        var recorded = await store.RecordSlurmJobAsync(jobId, submission.SlurmJobId, cancellationToken);
        if (recorded.Applied)
        {
            LogSubmitted(jobId, owner, submission.SlurmJobId);
            return;
        }

        // Cancelled while sbatch ran: the Slurm job must not run on its own.
        LogOrphan(jobId, owner, submission.SlurmJobId, recorded.Message);
        await CancelQuietlyAsync(owner, key, submission.SlurmJobId, cancellationToken);
    }

    /// <summary>The Slurm part of a submission: GPUs as GRES, the walltime as the time limit, the partitions.</summary>
    public SlurmSpec ToSlurmSpec(JobSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var minutes = (int)Math.Clamp(Math.Ceiling(spec.Walltime.TotalMinutes), 1, SlurmLimits.MaxWalltimeMinutes);
        return new SlurmSpec
        {
            Gpus = spec.Gpus.Count,
            WalltimeMinutes = minutes,
            Partitions = _options.Partitions.Count > 0 ? [.. _options.Partitions] : null,
        };
    }

    /// <summary>One squeue for every followed job, then what each answer means for its portal job.</summary>
    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        var followed = (await store.ListSlurmFollowedAsync(cancellationToken)).Where(j => j.SlurmJobId is not null).ToList();
        if (followed.Count == 0)
        {
            return;
        }

        IReadOnlyList<SqueueJob> queue;
        try
        {
            queue = await slurm.QueueAsync([.. followed.Select(j => j.SlurmJobId!.Value)], cancellationToken);
        }
        catch (Exception e) when (e is SlurmCommandException or FormatException)
        {
            // Nothing can be concluded from a failed poll: everything stays as it was until the next one.
            LogPollFailed(e.Message);
            return;
        }

        var byId = queue.ToDictionary(q => q.JobId);
        var forgotten = new List<SlurmFollowedJob>();
        foreach (var job in followed)
        {
            using var scope = logger.BeginJobScope(job.Id, job.Owner);
            try
            {
                if (byId.TryGetValue(job.SlurmJobId!.Value, out var seen))
                {
                    await FollowOneAsync(job, seen, cancellationToken);
                }
                else
                {
                    forgotten.Add(job);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogFollowFailed(e, job.Id, job.Owner);
            }
        }

        if (forgotten.Count > 0)
        {
            await ForgottenAsync(forgotten, cancellationToken);
        }
    }

    private async Task FollowOneAsync(SlurmFollowedJob job, SqueueJob seen, CancellationToken cancellationToken)
    {
        switch (seen.Phase)
        {
            case SlurmPhase.Pending when job.State == JobState.Queued:
                await store.RecordSlurmPendingAsync(job.Id, seen.State, seen.Reason, cancellationToken);
                break;
            case SlurmPhase.Running when job.State == JobState.Queued:
                await StartedAsync(job, seen, await DetailsOrNullAsync(seen.JobId, cancellationToken), cancellationToken);
                break;
            case SlurmPhase.Running:
                await store.RecordSlurmStateAsync(job.Id, seen.State, cancellationToken);
                break;
            case SlurmPhase.Ended:
                var details = await DetailsOrNullAsync(seen.JobId, cancellationToken);
                if (job.State == JobState.Queued && seen.Nodes is not null && seen.StartTime is not null)
                {
                    // It ran and ended between two polls: record the run first, so its accounting is right.
                    await StartedAsync(job, seen, details, cancellationToken);
                }

                var exit = details?.ExitCode ?? (details?.Signal is { } signal ? 128 + signal : null);
                await EndAsync(job, SlurmJobStates.Base(seen.State), exit, seen.Nodes, seen.EndTime, cancellationToken);
                break;
        }
    }

    private async Task StartedAsync(SlurmFollowedJob job, SqueueJob seen, ScontrolJob? details, CancellationToken cancellationToken)
    {
        var nodes = seen.Nodes ?? details?.Nodes;
        var result = await store.RecordSlurmRunningAsync(job.Id, seen.StartTime ?? timeProvider.GetUtcNow(), seen.State, nodes,
            GpuNames(nodes, details?.GpuIndexes ?? [], job.GpuCount), cancellationToken);
        if (result.Applied)
        {
            LogRunning(job.Id, job.Owner, seen.JobId, nodes);
        }
    }

    private async Task EndAsync(SlurmFollowedJob job, string state, int? exitCode, string? nodes, DateTimeOffset? endedAt, CancellationToken cancellationToken)
    {
        var final = SlurmJobStates.FinalState(state, exitCode);
        var detail = state switch
        {
            "NODE_FAIL" => $"Slurm: NODE_FAIL, node {nodes ?? "?"} failed",
            "TIMEOUT" => "Slurm: TIMEOUT, the walltime ran out",
            "CANCELLED" => "Slurm: CANCELLED outside the portal",
            _ when exitCode is { } code => string.Create(CultureInfo.InvariantCulture, $"Slurm: {state}, exit code {code}"),
            _ => "Slurm: " + state,
        };
        var result = await store.RecordSlurmEndAsync(job.Id, final, exitCode, detail, endedAt, state, cancellationToken);
        if (result.Applied)
        {
            LogEnded(job.Id, job.Owner, job.SlurmJobId, state, final, exitCode);
            trigger.Request(SchedulingCause.JobFinished);
        }
    }

    /// <summary>Jobs squeue no longer shows: Slurm forgot them (MinJobAge after their end). sacct knows how they ended
    /// where slurmdbd runs; otherwise all that is known is that they are gone.</summary>
    private async Task ForgottenAsync(IReadOnlyList<SlurmFollowedJob> jobs, CancellationToken cancellationToken)
    {
        var accounted = new Dictionary<long, SacctJob>();
        if (await UsesAccountingAsync(cancellationToken))
        {
            try
            {
                foreach (var entry in await slurm.AccountingAsync([.. jobs.Select(j => j.SlurmJobId!.Value)], cancellationToken))
                {
                    accounted[entry.JobId] = entry;
                }
            }
            catch (Exception e) when (e is SlurmCommandException or FormatException)
            {
                LogPollFailed(e.Message);
                return;
            }
        }

        foreach (var job in jobs)
        {
            using var scope = logger.BeginJobScope(job.Id, job.Owner);
            if (accounted.TryGetValue(job.SlurmJobId!.Value, out var entry) && SlurmJobStates.Phase(entry.State) == SlurmPhase.Ended)
            {
                var exit = entry.ExitCode ?? (entry.Signal is { } signal ? 128 + signal : null);
                await EndAsync(job, entry.State, exit, entry.Nodes, entry.End, cancellationToken);
            }
            else if (!accounted.ContainsKey(job.SlurmJobId.Value))
            {
                var result = await store.RecordSlurmEndAsync(job.Id, JobState.Lost, null,
                    $"Slurm no longer knows job {job.SlurmJobId}: it ended while the portal was not looking, and the cluster keeps no accounting to say how",
                    null, null, cancellationToken);
                if (result.Applied)
                {
                    LogForgotten(job.Id, job.Owner, job.SlurmJobId.Value);
                    trigger.Request(SchedulingCause.JobFinished);
                }
            }
        }
    }

    /// <summary>Jobs marked SUBMITTING without an id: a portal (this one, or one that died) called sbatch and did not
    /// record the answer. A Slurm job of the owner with the job's name is that answer; without one, the job goes back
    /// to the queue and is submitted again.</summary>
    private async Task FindSubmittedAsync(CancellationToken cancellationToken)
    {
        var lost = (await store.ListSlurmFollowedAsync(cancellationToken))
            .Where(j => j.SlurmJobId is null && j.BackendState == JobBackends.Submitting).ToList();
        if (lost.Count == 0)
        {
            return;
        }

        IReadOnlyDictionary<long, long> found;
        try
        {
            found = await FindByNameAsync([.. lost.Select(j => (j.Id, j.Owner))], cancellationToken);
        }
        catch (Exception e) when (e is SlurmCommandException or FormatException)
        {
            LogPollFailed(e.Message);
            return;
        }

        foreach (var job in lost)
        {
            using var scope = logger.BeginJobScope(job.Id, job.Owner);
            if (found.TryGetValue(job.Id, out var slurmId))
            {
                LogAdopted(job.Id, job.Owner, slurmId);
                await store.RecordSlurmJobAsync(job.Id, slurmId, cancellationToken);
            }
            else
            {
                LogResubmitting(job.Id, job.Owner);
                await store.ClearSlurmSubmittingAsync(job.Id, cancellationToken);
                trigger.Request(SchedulingCause.JobSubmitted);
            }
        }
    }

    /// <summary>The newest Slurm job named portal-&lt;id&gt; of the job's owner, per portal job.</summary>
    private async Task<IReadOnlyDictionary<long, long>> FindByNameAsync(IReadOnlyList<(long Id, string Owner)> jobs, CancellationToken cancellationToken)
    {
        var names = jobs.ToDictionary(j => SlurmNames.JobName(JobKeys.Format(j.Id)), j => j, StringComparer.Ordinal);
        var output = await slurm.RunAsync("squeue",
            ["--noheader", "--states=all", "--name=" + string.Join(',', names.Keys), "--format=" + SqueueQuery.Format], cancellationToken,
            unknownJobIsEmpty: true);
        var found = new Dictionary<long, long>();
        foreach (var seen in SqueueQuery.Parse(output).OrderBy(q => q.JobId))
        {
            if (names.TryGetValue(seen.Name, out var job) && seen.User == job.Owner)
            {
                found[job.Id] = seen.JobId;
            }
        }

        return found;
    }

    private async Task<ScontrolJob?> DetailsOrNullAsync(long slurmJobId, CancellationToken cancellationToken)
    {
        try
        {
            return await slurm.JobAsync(slurmJobId, cancellationToken);
        }
        catch (Exception e) when (e is SlurmCommandException or FormatException)
        {
            // The job's state is known from squeue; only its exit code and GPU indexes are missing.
            LogPollFailed(e.Message);
            return null;
        }
    }

    private async Task<bool> UsesAccountingAsync(CancellationToken cancellationToken)
    {
        if (_options.UseAccounting is { } configured)
        {
            return configured;
        }

        try
        {
            _accounting ??= await slurm.HasAccountingAsync(cancellationToken);
        }
        catch (SlurmCommandException e)
        {
            LogPollFailed(e.Message);
            return false;
        }

        return _accounting.Value;
    }

    private async Task CancelQuietlyAsync(string owner, string key, long slurmJobId, CancellationToken cancellationToken)
    {
        try
        {
            await launcher.CancelAsync(owner, key, slurmJobId, cancellationToken);
        }
        catch (LauncherException e)
        {
            LogCancelFailed(0, owner, slurmJobId, e.Message);
        }
    }

    /// <summary>The GPUs Slurm allocated, by name (node/gpuINDEX): the indexes from scontrol when they match the count,
    /// else numbered places on the node (Slurm gave that many; only their indexes are unknown).</summary>
    internal static IReadOnlyList<string> GpuNames(string? nodes, IReadOnlyList<int> indexes, int count)
    {
        var node = nodes ?? "?";
        return indexes.Count == count
            ? [.. indexes.Select(i => string.Create(CultureInfo.InvariantCulture, $"{node}/gpu{i}"))]
            : [.. Enumerable.Range(0, count).Select(i => string.Create(CultureInfo.InvariantCulture, $"{node}/gpu#{i}"))];
    }

    private static long? SlurmId(string? text) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : null;

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Owner} is Slurm job {SlurmJobId}")]
    private partial void LogSubmitted(long jobId, string owner, long slurmJobId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Owner}: sbatch said: {Warning}")]
    private partial void LogSbatchWarning(long jobId, string owner, string warning);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner} was refused: {Problem}")]
    private partial void LogRefused(long jobId, string owner, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner} could not be handed to Slurm now; it stays queued: {Problem}")]
    private partial void LogSubmitDeferred(long jobId, string owner, string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handing job {JobId} of {Owner} to Slurm failed")]
    private partial void LogSubmitFailed(Exception e, long jobId, string owner);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner} left the queue while sbatch ran; cancelling Slurm job {SlurmJobId}: {Problem}")]
    private partial void LogOrphan(long jobId, string owner, long slurmJobId, string? problem);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Owner} runs: Slurm job {SlurmJobId} on {Nodes}")]
    private partial void LogRunning(long jobId, string owner, long slurmJobId, string? nodes);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Owner} ended (Slurm job {SlurmJobId}: {SlurmState}): {State}, exit code {ExitCode}")]
    private partial void LogEnded(long jobId, string owner, long? slurmJobId, string slurmState, JobState state, int? exitCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner}: Slurm no longer knows Slurm job {SlurmJobId}; the job is lost")]
    private partial void LogForgotten(long jobId, string owner, long slurmJobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner}: its Slurm job {SlurmJobId} was found by name and adopted")]
    private partial void LogAdopted(long jobId, string owner, long slurmJobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner}: no Slurm job carries its name; submitting it again")]
    private partial void LogResubmitting(long jobId, string owner);

    [LoggerMessage(Level = LogLevel.Information, Message = "Job {JobId} of {Owner} cancelled (Slurm job {SlurmJobId}) by {CancelledBy}")]
    private partial void LogCancelled(long jobId, string owner, long? slurmJobId, string cancelledBy);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Job {JobId} of {Owner}: cancelling Slurm job {SlurmJobId} failed: {Problem}")]
    private partial void LogCancelFailed(long jobId, string owner, long slurmJobId, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Asking Slurm failed; the Slurm jobs stay as they were until the next round: {Problem}")]
    private partial void LogPollFailed(string problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "Following job {JobId} of {Owner} failed")]
    private partial void LogFollowFailed(Exception e, long jobId, string owner);
}
