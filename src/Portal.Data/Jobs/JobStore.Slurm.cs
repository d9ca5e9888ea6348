using Microsoft.EntityFrameworkCore;
using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Core.Slurm;
using Portal.Data.Entities.Jobs;
using Portal.Data.Quotas;

namespace Portal.Data.Jobs;

/// <summary>A Slurm job the portal follows: handed to Slurm (or being handed), not ended.</summary>
/// <param name="Id">The portal's job id.</param>
/// <param name="Owner">The owner's Linux name.</param>
/// <param name="State">The portal's state: Queued while Slurm has it pending, Running once Slurm runs it.</param>
/// <param name="SlurmJobId">Slurm's job id; null while the portal is still handing it over (or died doing so).</param>
/// <param name="BackendState">Slurm's state word as last recorded.</param>
/// <param name="BackendReason">Slurm's reason word as last recorded.</param>
/// <param name="GpuCount">GPUs it asked for.</param>
/// <param name="SubmittedAt">When it was submitted to the portal.</param>
public sealed record SlurmFollowedJob(long Id, string Owner, JobState State, long? SlurmJobId, string? BackendState, string? BackendReason,
    int GpuCount, DateTimeOffset SubmittedAt);

/// <summary>What a Slurm dispatch reads: queued jobs not handed over yet (with their requests), and per owner what is
/// in flight and the quota.</summary>
public sealed record SlurmDispatchState(
    IReadOnlyList<UnsubmittedJob> Unsubmitted,
    IReadOnlyDictionary<long, JobSpec> Specs,
    IReadOnlyDictionary<string, OwnerInFlight> InFlight,
    EffectiveQuota DefaultQuota);

// The Slurm backend's side: jobs whose Backend is "slurm". Slurm places them and decides when they run; the portal
// records what Slurm reports. A job stays Queued while Slurm has it pending (its pending reason is Slurm's, mapped, and
// Slurm's own word is kept in BackendReason), and moves Queued -> Starting -> Running in one transaction once Slurm
// runs it, with the GPUs Slurm allocated.
public sealed partial class JobStore
{
    /// <summary>Every Slurm job the portal follows, oldest first.</summary>
    public async Task<IReadOnlyList<SlurmFollowedJob>> ListSlurmFollowedAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Jobs.AsNoTracking()
            .Where(j => j.Backend == JobBackends.Slurm
                && (j.State == JobStateColumn.Starting || j.State == JobStateColumn.Running
                    || (j.State == JobStateColumn.Queued && j.BackendState != null)))
            .OrderBy(j => j.Id)
            .Select(j => new { j.Id, j.OwnerLinuxUserName, j.State, j.BackendJobId, j.BackendState, j.BackendReason, j.GpuCount, j.SubmittedAt })
            .ToListAsync(cancellationToken);
        return [.. rows.Select(r => new SlurmFollowedJob(r.Id, r.OwnerLinuxUserName, JobMapper.ToDomain(r.State),
            ParseSlurmId(r.BackendJobId),
            r.BackendState, r.BackendReason, r.GpuCount, r.SubmittedAt))];
    }

    /// <summary>Reads what <see cref="SlurmAdmission.Decide"/> needs, in one repeatable-read transaction.</summary>
    public async Task<SlurmDispatchState> LoadSlurmDispatchAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var now = Now();
        var quotas = await QuotaBook.LoadAsync(db, cancellationToken);
        var since = now - quotas.LongestWindow;
        var rows = await db.Jobs.AsNoTracking()
            .Where(j => j.Backend == JobBackends.Slurm
                && (ActiveStates.Contains(j.State) || (j.StartedAt != null && j.FinishedAt >= since)))
            .ToListAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        var unsubmitted = new List<UnsubmittedJob>();
        var specs = new Dictionary<long, JobSpec>();
        var inFlight = new Dictionary<string, OwnerInFlight>(StringComparer.Ordinal);
        foreach (var owner in rows.GroupBy(r => r.OwnerLinuxUserName, StringComparer.Ordinal))
        {
            var quota = quotas.Resolve(owner.First().OwnerId);
            int jobs = 0, gpus = 0;
            double gpuSeconds = 0;
            foreach (var r in owner)
            {
                if (r.State == JobStateColumn.Queued && r.BackendState is null)
                {
                    unsubmitted.Add(new UnsubmittedJob(r.Id, r.OwnerLinuxUserName, r.GpuCount, r.Priority, r.SubmittedAt));
                    specs[r.Id] = JobMapper.ToSpec(r);
                    continue;
                }

                if (ActiveStates.Contains(r.State))
                {
                    jobs++;
                    gpus += r.GpuCount;
                }

                if (r.StartedAt is { } started)
                {
                    gpuSeconds += new GpuUsageInterval(r.OwnerLinuxUserName, r.Id, r.GpuCount, started, r.FinishedAt)
                        .GpuSecondsWithin(quota.WindowStart(now), now);
                }
            }

            inFlight[owner.Key] = new OwnerInFlight(quota, jobs, gpus, gpuSeconds);
        }

        return new SlurmDispatchState(unsubmitted, specs, inFlight, quotas.DefaultQuota);
    }

    /// <summary>Marks a queued job as being handed to Slurm (before sbatch, so a portal that dies mid-way finds it
    /// again and looks for its Slurm job by name instead of submitting twice). False when it is no longer an
    /// unsubmitted queued job (cancelled meanwhile).</summary>
    public async Task<bool> MarkSlurmSubmittingAsync(long jobId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Jobs
            .Where(j => j.Id == jobId && j.Backend == JobBackends.Slurm && j.State == JobStateColumn.Queued && j.BackendState == null)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.BackendState, JobBackends.Submitting).SetProperty(j => j.PendingReason, PendingReasonColumn.None),
                cancellationToken) == 1;
    }

    /// <summary>Gives a job back to the portal's queue when handing it over failed for a reason of the portal's own (the
    /// launcher could not be reached): the next dispatch tries again.</summary>
    public async Task ClearSlurmSubmittingAsync(long jobId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await db.Jobs
            .Where(j => j.Id == jobId && j.State == JobStateColumn.Queued && j.BackendState == JobBackends.Submitting && j.BackendJobId == null)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.BackendState, (string?)null), cancellationToken);
    }

    /// <summary>Records Slurm's id for a job being handed over. WrongState when the job left the queue meanwhile (it was
    /// cancelled while sbatch ran): the caller must then cancel the Slurm job.</summary>
    public Task<JobChangeResult> RecordSlurmJobAsync(long jobId, long slurmJobId, CancellationToken cancellationToken = default) =>
        ChangeAsync(jobId, change =>
        {
            if (change.Job.State != JobState.Queued || change.Record.Backend != JobBackends.Slurm)
            {
                return Task.FromResult(WrongState(change.Job, "hand it to Slurm"));
            }

            change.Record.BackendJobId = SlurmId(slurmJobId);
            change.Record.BackendState = "PENDING";
            return Task.FromResult(JobChangeResult.Done);
        }, cancellationToken);

    /// <summary>Records what Slurm says about a job it has not started: its state and reason words, and the reason
    /// mapped to the portal's. Nothing is written when nothing changed.</summary>
    public async Task<bool> RecordSlurmPendingAsync(long jobId, string state, string? reason, CancellationToken cancellationToken = default)
    {
        var mapped = JobMapper.ToColumn(SlurmReasons.Map(reason));
        var word = Truncate(reason, 256);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Jobs
            .Where(j => j.Id == jobId && j.Backend == JobBackends.Slurm && j.State == JobStateColumn.Queued && j.BackendJobId != null
                && (j.BackendState != state || j.BackendReason != word || j.PendingReason != mapped))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.BackendState, state).SetProperty(j => j.BackendReason, word)
                .SetProperty(j => j.PendingReason, mapped), cancellationToken) == 1;
    }

    /// <summary>
    /// Slurm runs the job: Queued -> Starting -> Running in one transaction, at Slurm's start time, with the GPUs Slurm
    /// allocated (by name, node/gpuINDEX) and its nodes. Accounting starts at Slurm's start, not at submission.
    /// </summary>
    public Task<JobChangeResult> RecordSlurmRunningAsync(long jobId, DateTimeOffset startedAt, string state, string? nodes,
        IReadOnlyList<string> gpus, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(gpus);
        return ChangeAsync(jobId, change =>
        {
            var job = change.Job;
            if (job.State != JobState.Queued || change.Record.BackendJobId is not { } slurmId)
            {
                return Task.FromResult(WrongState(job, "record Slurm's start"));
            }

            var at = NotBefore(startedAt, job);
            job.Start(gpus, at);
            job.MarkRunning("slurm-" + slurmId, at);
            change.Record.BackendGpus = [.. gpus];
            change.Record.BackendNodes = Truncate(nodes, 256);
            change.Record.BackendState = state;
            change.Record.BackendReason = null;
            return Task.FromResult(JobChangeResult.Done);
        }, cancellationToken);
    }

    /// <summary>Records a running job's new Slurm state word (e.g. COMPLETING) without moving it.</summary>
    public async Task RecordSlurmStateAsync(long jobId, string state, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await db.Jobs.Where(j => j.Id == jobId && j.Backend == JobBackends.Slurm && j.BackendState != state && j.State != JobStateColumn.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.BackendState, state), cancellationToken);
    }

    /// <summary>
    /// Slurm ended the job (or forgot it): its final state, at Slurm's end time. A running job ends with the portal's
    /// state for Slurm's (<paramref name="final"/>); a job Slurm never ran is Cancelled when it was cancelled, else
    /// Failed with Slurm's words (it never held anything).
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="final">The portal's final state.</param>
    /// <param name="exitCode">The exit code for Succeeded and Failed, when there is one.</param>
    /// <param name="detail">What Slurm said, for the history ("Slurm: NODE_FAIL on node gpu01").</param>
    /// <param name="endedAt">Slurm's end time, or null for now.</param>
    /// <param name="state">Slurm's final state word.</param>
    /// <param name="cancellationToken">Cancels the database work.</param>
    public Task<JobChangeResult> RecordSlurmEndAsync(long jobId, JobState final, int? exitCode, string detail, DateTimeOffset? endedAt, string? state,
        CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(detail);
        return ChangeAsync(jobId, change =>
        {
            var job = change.Job;
            if (job.State.IsFinal() || change.Record.Backend != JobBackends.Slurm)
            {
                return Task.FromResult(WrongState(job, "record Slurm's end"));
            }

            var at = NotBefore(endedAt ?? change.Now, job);
            if (job.State == JobState.Queued)
            {
                if (final == JobState.Cancelled)
                {
                    job.Cancel(detail, at);
                }
                else
                {
                    job.Reject(detail, at);
                }
            }
            else
            {
                switch (final)
                {
                    case JobState.Succeeded:
                        job.Finish(0, at);
                        break;
                    case JobState.Failed when exitCode is { } code:
                        job.Finish(code == 0 ? 1 : code, at);
                        break;
                    case JobState.Failed:
                        job.Finish(1, at);
                        break;
                    case JobState.Cancelled:
                        job.Cancel(detail, at);
                        break;
                    case JobState.TimedOut:
                        job.TimeOut(at);
                        break;
                    default:
                        job.MarkLost(detail, at);
                        break;
                }
            }

            change.Record.BackendState = state ?? change.Record.BackendState;
            change.Record.GpuSeconds = job.GpuSecondsUsed(at);
            return Task.FromResult(JobChangeResult.Done);
        }, cancellationToken);
    }

    /// <summary>Slurm refused the job at submission (sbatch failed with Slurm's words): the queued job fails with them.</summary>
    public Task<JobChangeResult> RecordSlurmRefusedAsync(long jobId, string reason, CancellationToken cancellationToken = default) =>
        ChangeAsync(jobId, change =>
        {
            if (change.Job.State != JobState.Queued)
            {
                return Task.FromResult(WrongState(change.Job, "record Slurm's refusal"));
            }

            change.Job.Reject(reason, change.Now);
            change.Record.BackendState = null;
            change.Record.GpuSeconds = 0;
            return Task.FromResult(JobChangeResult.Done);
        }, cancellationToken);

    /// <summary>Cancels a Slurm job in the portal's records (after the launcher cancelled it in Slurm, or before it was
    /// handed over): Queued or Running to Cancelled, at once; the poll then sees Slurm's CANCELLED and leaves it.</summary>
    public Task<JobChangeResult> RecordSlurmCancelledAsync(long jobId, string cancelledBy, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(cancelledBy);
        return ChangeAsync(jobId, change =>
        {
            var job = change.Job;
            if (job.State.IsFinal())
            {
                return Task.FromResult(WrongState(job, "cancel it"));
            }

            job.Cancel(cancelledBy, change.Now);
            change.Record.GpuSeconds = job.GpuSecondsUsed(change.Now);
            return Task.FromResult(JobChangeResult.Done);
        }, cancellationToken);
    }

    /// <summary>Slurm reports times to the second; the portal's history is finer. A change never predates the last.</summary>
    private static DateTimeOffset NotBefore(DateTimeOffset at, Job job) =>
        at < job.History[^1].At ? job.History[^1].At : at;

    private static string SlurmId(long id) => id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Slurm's job id as <see cref="SlurmId"/> stored it; null while there is none.</summary>
    private static long? ParseSlurmId(string? text) =>
        long.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long id) ? id : null;

    private static string? Truncate(string? text, int length) => text is null || text.Length <= length ? text : text[..length];
}
