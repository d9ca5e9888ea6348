using Microsoft.EntityFrameworkCore;
using Npgsql;
using Portal.Core.Jobs;
using Portal.Data.Configurations.Jobs;
using Portal.Core.Notifications;
using Portal.Data.Bookings;
using Portal.Data.Entities.Jobs;
using Portal.Data.Notifications;
using Portal.Data.Quotas;
using Portal.Launcher.Protocol;

namespace Portal.Data.Jobs;

/// <summary>
/// The job queue in PostgreSQL. Every method is one short transaction on its own context (safe from Blazor circuits
/// and background loops alike). Changes to a job lock its row, rebuild the domain <see cref="Job"/>, apply the domain
/// method and write back the row, the new history rows, the ledger lines and the owner's notifications together, so a
/// job is never half moved.
/// </summary>
/// <remarks>
/// Two faces: what people ask for (submit, and reads that take the requester and show a non-administrator only
/// their own jobs), and what the job host does for the system on any job (JobStore.Host.cs: find, list the started
/// jobs, withdraw; JobStore.Scheduling.cs: the snapshot and the state moves of a scheduling pass).
/// </remarks>
public sealed partial class JobStore(IDbContextFactory<PortalDbContext> contextFactory, TimeProvider timeProvider)
{
    // First key of the per-owner submit lock (pg_advisory_xact_lock(int, int)); the second is a hash of the owner.
    private const int SubmitLockClass = 0x4a4f4253;

    /// <summary>
    /// Validates and queues a job. The owner's quota and queued-job count are read under a per-owner transaction
    /// lock, so concurrent submits by one owner cannot together pass the queued-job limit.
    /// </summary>
    public async Task<SubmitResult> SubmitAsync(JobSubmission submission, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(submission);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var ownerKey = submission.OwnerId.ToString();
        await db.Database.ExecuteSqlAsync(
            $"SELECT pg_advisory_xact_lock({SubmitLockClass}, hashtext({ownerKey}))", cancellationToken);

        var owner = await db.Users.AsNoTracking()
            .Where(u => u.Id == submission.OwnerId)
            .Select(u => new { u.LinuxUserName, u.IsDisabled })
            .SingleOrDefaultAsync(cancellationToken);
        if (owner is null || owner.IsDisabled || owner.LinuxUserName is null)
        {
            return Refused("Your account is not allowed to run jobs: it is disabled or has no Linux account.");
        }

        if (IdempotencyKeys.Validate(submission.IdempotencyKey) is { } badKey)
        {
            return new SubmitResult(null, [badKey]);
        }

        if (submission.IdempotencyKey is { } key)
        {
            // Under the owner's submit lock: a second submission with the key waits for the first and finds its job.
            long? earlier = await db.Jobs.AsNoTracking()
                .Where(j => j.OwnerId == submission.OwnerId && j.IdempotencyKey == key)
                .Select(j => (long?)j.Id)
                .SingleOrDefaultAsync(cancellationToken);
            if (earlier is not null)
            {
                return new SubmitResult(earlier, []) { Repeated = true };
            }
        }

        var errors = JobSpecValidator.Validate(submission.Spec, await SubmitContextAsync(db, submission, cancellationToken));
        if (errors.Count > 0)
        {
            return new SubmitResult(null, errors);
        }

        var now = Now();
        var record = JobMapper.NewRecord(submission.OwnerId, owner.LinuxUserName, submission.Spec, now,
            submission.Cluster is null ? JobBackends.Local : JobBackends.Slurm);
        record.IdempotencyKey = submission.IdempotencyKey;
        db.Jobs.Add(record);
        await db.SaveChangesAsync(cancellationToken);
        record.ContainerName = ContainerNameFor(record.Id);
        db.JobStateChanges.Add(new JobStateChangeRecord { JobId = record.Id, ToState = JobStateColumn.Queued, At = now });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new SubmitResult(record.Id, []);
    }

    /// <summary>
    /// What <see cref="SubmitAsync"/> would say about <paramref name="submission"/> now, without queuing it: the same
    /// validator under the same quota and counts (the review step of "New app" shows this before anything starts).
    /// </summary>
    public async Task<IReadOnlyList<FieldError>> CheckAsync(JobSubmission submission, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(submission);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var owner = await db.Users.AsNoTracking()
            .Where(u => u.Id == submission.OwnerId)
            .Select(u => new { u.LinuxUserName, u.IsDisabled })
            .SingleOrDefaultAsync(cancellationToken);
        if (owner is null || owner.IsDisabled || owner.LinuxUserName is null)
        {
            return Refused("Your account is not allowed to run jobs: it is disabled or has no Linux account.").Errors;
        }

        return JobSpecValidator.Validate(submission.Spec, await SubmitContextAsync(db, submission, cancellationToken));
    }

    private static async Task<JobSubmitContext> SubmitContextAsync(PortalDbContext db, JobSubmission submission, CancellationToken cancellationToken)
    {
        var quota = (await QuotaBook.LoadAsync(db, cancellationToken)).Resolve(submission.OwnerId);
        var queued = await db.Jobs.CountAsync(
            j => j.OwnerId == submission.OwnerId && j.State == JobStateColumn.Queued, cancellationToken);
        var gpus = await GpuStore.Offered(db).Select(g => g.Uuid).ToListAsync(cancellationToken);
        return new JobSubmitContext(submission.IsAdmin, quota, queued, submission.AllowedMountRoots, gpus, submission.Host, submission.Cluster);
    }

    /// <summary>The container name a job's container gets: unique per job, recognisable in <c>podman ps</c>.</summary>
    public static string ContainerNameFor(long jobId) => JobKeys.ContainerName(JobKeys.Format(jobId));

    /// <summary>A job, or null when it does not exist or belongs to someone else and the requester is no admin
    /// (callers answer 404 either way, so job ids reveal nothing).</summary>
    public Task<JobDetails?> GetAsync(long jobId, Guid requesterId, bool isAdmin, CancellationToken cancellationToken = default) =>
        ReadAsync(jobId, isAdmin ? null : requesterId, cancellationToken);

    // ownerId: only a job of this account; null for any job.
    private async Task<JobDetails?> ReadAsync(long jobId, Guid? ownerId, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        // One snapshot for the three reads: read apart, a move committed in between (say to Running) would pair the
        // old row with the new history, which Job.Restore rightly refuses.
        await using var transaction = await db.Database.BeginTransactionAsync(
            System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var record = await db.Jobs.AsNoTracking()
            .SingleOrDefaultAsync(j => j.Id == jobId && (ownerId == null || j.OwnerId == ownerId), cancellationToken);
        if (record is null)
        {
            return null;
        }

        var history = await db.JobStateChanges.AsNoTracking().Where(c => c.JobId == jobId).ToListAsync(cancellationToken);
        var allocations = await db.GpuAllocations.AsNoTracking().Where(a => a.JobId == jobId).ToListAsync(cancellationToken);
        var job = JobMapper.ToDomain(record, history, allocations);
        var hold = job is { State: JobState.Queued, PendingReason: PendingReason.Booked }
            ? await BookingStore.HoldingAsync(db, record.OwnerId, Now(), job.Spec.Walltime, job.Spec.Gpus.SpecificUuids, cancellationToken)
            : null;
        return new JobDetails(
            job,
            record.OwnerId,
            record.ContainerName,
            record.GpuSeconds,
            allocations.OrderBy(a => a.Position).Select(a => new JobGpuAllocation(a.GpuUuid, a.AllocatedAt, a.ReleasedAt)).ToList(),
            record.CpuSeconds is { } cpu ? new JobResourceUsage(cpu, record.PeakMemoryBytes, record.OomKills ?? 0) : null,
            BackendFacts(record),
            hold);
    }

    /// <summary>What the job's backend last said about it.</summary>
    internal static JobBackendFacts BackendFacts(JobRecord record) =>
        new(record.Backend, record.BackendJobId, record.BackendState, record.BackendReason, record.BackendNodes, record.BackendGpus);

    private static SubmitResult Refused(string message) => new(null, [new FieldError("", message)]);

    private static JobChangeResult WrongState(Job job, string what) =>
        new(JobChangeStatus.WrongState, $"Job {job.Id} is {job.State}; cannot {what}.");

    /// <summary>Now, cut to the microsecond PostgreSQL keeps, so a job in memory equals the job read back.</summary>
    private DateTimeOffset Now()
    {
        var now = timeProvider.GetUtcNow();
        return new DateTimeOffset(now.UtcTicks - (now.UtcTicks % 10), TimeSpan.Zero);
    }

    /// <summary>
    /// Locks the job's row, rebuilds the job, lets <paramref name="change"/> act on it, and writes back the row, the
    /// new history rows and any ledger lines the change added or released, all in one transaction. Nothing is
    /// written unless the change returns <see cref="JobChangeResult.Done"/> and every constraint holds.
    /// </summary>
    private async Task<JobChangeResult> ChangeAsync(
        long jobId, Func<JobChange, Task<JobChangeResult>> change, CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Not composed further: PostgreSQL would otherwise see FOR UPDATE inside a subquery EF wraps around it.
        var locked = await db.Jobs.FromSql($"SELECT * FROM \"Jobs\" WHERE \"Id\" = {jobId} FOR UPDATE").ToListAsync(cancellationToken);
        var record = locked.SingleOrDefault();
        if (record is null)
        {
            return new JobChangeResult(JobChangeStatus.NotFound, $"There is no job {jobId}.");
        }

        var history = await db.JobStateChanges.AsNoTracking().Where(c => c.JobId == jobId).ToListAsync(cancellationToken);
        var allocations = await db.GpuAllocations.Where(a => a.JobId == jobId).ToListAsync(cancellationToken);
        var job = JobMapper.ToDomain(record, history, allocations);
        JobChangeResult result;
        try
        {
            result = await change(new JobChange(db, record, job, allocations, Now()));
        }
        catch (InvalidOperationException e)
        {
            // The domain refused the move (e.g. Finish on a queued job): a race or a caller bug, never a half write.
            return new JobChangeResult(JobChangeStatus.WrongState, e.Message);
        }

        if (!result.Applied)
        {
            return result;
        }

        JobMapper.CopyState(job, record);
        db.JobStateChanges.AddRange(JobMapper.NewHistory(job, history.Count));
        // The owner's notifications commit with the move itself: every state change of a job passes here.
        var notifications = JobNotifications.ForNewHistory(job, history.Count);
        await NotificationOutbox.AddAsync(db, record.OwnerId, jobId, record.Name, notifications, Now(), cancellationToken);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException
        {
            SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: GpuAllocationConfiguration.ActiveGpuIndex,
        } unique)
        {
            await transaction.RollbackAsync(CancellationToken.None);
            return new JobChangeResult(JobChangeStatus.GpuBusy, $"Another job holds a GPU asked for job {jobId}: {unique.Detail}");
        }

        return result;
    }

    /// <summary>The locked job and its rows, for one change.</summary>
    private sealed record JobChange(
        PortalDbContext Db, JobRecord Record, Job Job, List<GpuAllocation> Allocations, DateTimeOffset Now);
}
