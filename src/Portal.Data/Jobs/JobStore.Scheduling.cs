using Microsoft.EntityFrameworkCore;
using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Core.Scheduling;
using Portal.Data.Bookings;
using Portal.Data.Entities.Jobs;
using Portal.Data.Quotas;

namespace Portal.Data.Jobs;

// The storage side of a scheduling pass: read a snapshot, then commit each decision on its own.
public sealed partial class JobStore
{
    private static readonly JobStateColumn[] ActiveStates = [JobStateColumn.Queued, JobStateColumn.Starting, JobStateColumn.Running];

    /// <summary>
    /// Reads everything <see cref="Scheduler.Plan"/> needs in one repeatable-read transaction: queued and
    /// GPU-holding jobs, jobs that ended within the longest quota window (for window usage), the present GPUs with
    /// their drain flags, each owner's resolved quota, and the GPU bookings that have not ended.
    /// </summary>
    public async Task<SchedulingState> LoadSnapshotAsync(HostCapacity? capacity = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(
            System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var now = Now();
        var quotas = await QuotaBook.LoadAsync(db, cancellationToken);
        var usageSince = now - quotas.LongestWindow;
        // Slurm's jobs are Slurm's to place (JobStore.Slurm.cs); they still count towards the owners' window usage.
        var relevant = db.Jobs.AsNoTracking().Where(j =>
            (ActiveStates.Contains(j.State) && j.Backend == JobBackends.Local) || (j.StartedAt != null && j.FinishedAt >= usageSince));
        var records = await relevant.ToListAsync(cancellationToken);
        var ids = relevant.Select(j => j.Id);
        var history = (await db.JobStateChanges.AsNoTracking().Where(c => ids.Contains(c.JobId)).ToListAsync(cancellationToken))
            .ToLookup(c => c.JobId);
        var allocations = (await db.GpuAllocations.AsNoTracking().Where(a => ids.Contains(a.JobId)).ToListAsync(cancellationToken))
            .ToLookup(a => a.JobId);
        var gpus = await GpuStore.Allocatable(db).AsNoTracking().OrderBy(g => g.Index).ThenBy(g => g.Uuid)
            .Select(g => new SchedulableGpu(g.Uuid, g.Index, g.Drained)).ToListAsync(cancellationToken);
        var bookings = await BookingStore.ForSchedulingAsync(db, now, cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        var jobs = new Dictionary<long, Job>(records.Count);
        var unreadable = new List<long>();
        var quotaByOwner = new Dictionary<string, EffectiveQuota>(StringComparer.Ordinal);
        foreach (var record in records)
        {
            try
            {
                jobs[record.Id] = JobMapper.ToDomain(record, history[record.Id], allocations[record.Id]);
            }
            catch (InvalidOperationException)
            {
                unreadable.Add(record.Id);
                continue;
            }

            if (!quotaByOwner.ContainsKey(record.OwnerLinuxUserName))
            {
                quotaByOwner[record.OwnerLinuxUserName] = quotas.Resolve(record.OwnerId);
            }
        }

        var snapshot = SchedulingSnapshot.FromJobs(jobs.Values, gpus, quotaByOwner, quotas.DefaultQuota, now, capacity, bookings);
        return new SchedulingState(snapshot, jobs, now, unreadable);
    }

    /// <summary>
    /// Moves a queued job to Starting on exactly <paramref name="gpuUuids"/>: the state, its history row and the ledger
    /// lines commit together or not at all. If another job holds one of the GPUs (a racing pass), the ledger's unique
    /// index refuses and the result is <see cref="JobChangeStatus.GpuBusy"/> with the job still queued.
    /// </summary>
    public Task<JobChangeResult> CommitStartAsync(long jobId, IReadOnlyList<string> gpuUuids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(gpuUuids);
        return ChangeAsync(jobId, async change =>
        {
            var job = change.Job;
            if (job.State != JobState.Queued)
            {
                return WrongState(job, "start it");
            }

            if (await UnusableGpusAsync(change.Db, job, gpuUuids, cancellationToken) is { } problem)
            {
                return new JobChangeResult(JobChangeStatus.GpuUnusable, problem);
            }

            job.Start(gpuUuids, change.Now);
            // A requeued job's earlier attempts keep their (released) lines; this attempt's are numbered after them.
            var first = change.Allocations.Count == 0 ? 0 : change.Allocations.Max(a => a.Position) + 1;
            for (var i = 0; i < gpuUuids.Count; i++)
            {
                change.Db.GpuAllocations.Add(new GpuAllocation { GpuUuid = gpuUuids[i], JobId = jobId, Position = first + i, AllocatedAt = change.Now });
            }

            return JobChangeResult.Done;
        }, cancellationToken);
    }

    /// <summary>The launcher created the job's container.</summary>
    public Task<JobChangeResult> MarkRunningAsync(long jobId, string containerId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        return ChangeAsync(jobId, change =>
        {
            change.Job.MarkRunning(containerId, change.Now);
            return Task.FromResult(JobChangeResult.Done);
        }, cancellationToken);
    }

    /// <summary>
    /// Records that a started job ended, releases its GPUs and stores its GPU-seconds (and, when given, what its cgroup
    /// counted), in one transaction. A job that ended on its own after the kernel's OOM killer ended a process of it ends
    /// Failed with the reason "out of memory: limit N MiB".
    /// </summary>
    /// <param name="jobId">The job.</param>
    /// <param name="state">The final state: <see cref="JobState.Succeeded"/> or <see cref="JobState.Failed"/> with the
    /// exit code (or Failed without one when the container never started), <see cref="JobState.Cancelled"/>,
    /// <see cref="JobState.TimedOut"/> or <see cref="JobState.Lost"/>.</param>
    /// <param name="exitCode">The command's exit code, when it ran to an end.</param>
    /// <param name="detail">For Cancelled: who cancelled; for Lost: what was seen; for Failed without an exit code:
    /// why it could not start.</param>
    /// <param name="usage">What the job's cgroup counted, read after its last process ended; null when not known.</param>
    /// <param name="memoryLimitBytes">The memory limit the kernel enforced, for the out-of-memory reason (the job's
    /// <c>memoryMiB</c> when null).</param>
    /// <param name="cancellationToken">Cancels the database work.</param>
    /// <exception cref="ArgumentException"><paramref name="state"/> is not final or does not match the exit code.</exception>
    public Task<JobChangeResult> FinishAsync(
        long jobId, JobState state, int? exitCode, string? detail = null, JobResourceUsage? usage = null, long? memoryLimitBytes = null,
        CancellationToken cancellationToken = default)
    {
        if (!state.IsFinal() || (exitCode is { } code && state != (code == 0 ? JobState.Succeeded : JobState.Failed))
            || (state == JobState.Succeeded && exitCode is null))
        {
            throw new ArgumentException($"{state} with exit code {exitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} is not a way for a job to end.", nameof(state));
        }

        return ChangeAsync(jobId, change =>
        {
            var job = change.Job;
            if (job.State == JobState.Queued)
            {
                return Task.FromResult(WrongState(job, "end a job that never started (cancel it instead)"));
            }

            switch (state)
            {
                case JobState.Succeeded or JobState.Failed or JobState.Lost when usage is { RanOutOfMemory: true }:
                    // The job ended on its own, and the kernel says why: it hit its memory limit. (A job stopped by
                    // its owner or its walltime keeps that reason.)
                    job.FailOutOfMemory(exitCode, JobResourceUsage.OutOfMemoryReason(memoryLimitBytes, job.Spec.MemoryMiB), change.Now);
                    break;
                case JobState.Succeeded or JobState.Failed when exitCode is { } exit:
                    job.Finish(exit, change.Now);
                    break;
                case JobState.Failed:
                    job.FailToStart(detail ?? "the container could not be started", change.Now);
                    break;
                case JobState.Cancelled:
                    job.Cancel(detail ?? "the portal", change.Now);
                    break;
                case JobState.TimedOut:
                    job.TimeOut(change.Now);
                    break;
                default:
                    job.MarkLost(detail ?? "the container vanished", change.Now);
                    break;
            }

            if (usage is not null)
            {
                change.Record.CpuSeconds = Math.Max(0, usage.CpuSeconds);
                change.Record.PeakMemoryBytes = usage.PeakMemoryBytes is { } peak ? Math.Max(0, peak) : null;
                change.Record.OomKills = Math.Max(0, usage.OomKills);
            }

            foreach (var allocation in change.Allocations.Where(a => a.ReleasedAt is null))
            {
                allocation.ReleasedAt = change.Now;
            }

            change.Record.GpuSeconds = job.GpuSecondsUsed(change.Now);
            return Task.FromResult(JobChangeResult.Done);
        }, cancellationToken);
    }

    /// <summary>Stores why each job still waits (from <see cref="SchedulingPlan.PendingReasons"/>). Jobs that left the
    /// queue meanwhile are skipped. Returns how many rows changed.</summary>
    public async Task<int> SetPendingReasonsAsync(IReadOnlyDictionary<long, PendingReason> reasons, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reasons);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var changed = 0;
        foreach (var group in reasons.GroupBy(r => r.Value, r => r.Key))
        {
            var ids = group.ToList();
            var column = JobMapper.ToColumn(group.Key);
            changed += await db.Jobs
                .Where(j => ids.Contains(j.Id) && j.State == JobStateColumn.Queued && j.PendingReason != column)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.PendingReason, column), cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return changed;
    }

    /// <summary>Why <paramref name="gpuUuids"/> cannot go to <paramref name="job"/>, or null when they can.</summary>
    /// <remarks>
    /// The GPU rows are locked in UUID order. Without that, two commits wanting GPUs X and Y in opposite orders could
    /// each insert one ledger line and wait on the other's (a deadlock PostgreSQL breaks by failing one); with it, the
    /// second waits for the first to commit and then gets a clean unique violation. A drain waits the same way, so a
    /// GPU is never drained between this check and the commit.
    /// </remarks>
    private static async Task<string?> UnusableGpusAsync(
        PortalDbContext db, Job job, IReadOnlyList<string> gpuUuids, CancellationToken cancellationToken)
    {
        if (gpuUuids.Count != job.Spec.Gpus.Count)
        {
            return $"Job {job.Id} asks for {job.Spec.Gpus.Count} GPUs, not {gpuUuids.Count}.";
        }

        if (gpuUuids.Distinct(StringComparer.Ordinal).Count() != gpuUuids.Count)
        {
            return $"Job {job.Id} was given one GPU twice.";
        }

        if (job.Spec.Gpus.IsSpecific && !job.Spec.Gpus.SpecificUuids.ToHashSet(StringComparer.Ordinal).SetEquals(gpuUuids))
        {
            return $"Job {job.Id} asks for specific GPUs and was given others.";
        }

        if (gpuUuids.Count == 0)
        {
            return null;
        }

        // A MIG instance's parent row is locked too: a commit wanting the parent and one wanting an instance of it
        // then take turns, and the second sees the first's ledger lines (Allocatable keeps parent and instance apart).
        var uuids = gpuUuids.ToArray();
        await db.Gpus.FromSql($"""
            SELECT * FROM "Gpus" WHERE "Uuid" = ANY({uuids})
               OR "Uuid" IN (SELECT "ParentUuid" FROM "Gpus" WHERE "Uuid" = ANY({uuids}))
            ORDER BY "Uuid" FOR UPDATE
            """).AsNoTracking().ToListAsync(cancellationToken);
        var usable = (await GpuStore.Allocatable(db).Where(g => uuids.Contains(g.Uuid) && !g.Drained).Select(g => g.Uuid)
            .ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
        var bad = gpuUuids.Where(u => !usable.Contains(u)).ToList();
        return bad.Count == 0 ? null : $"GPU {string.Join(", ", bad)} is unknown, gone, drained or split into MIG instances.";
    }
}
