using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Launcher.Protocol;

namespace Portal.Data.Jobs;

/// <summary>A submission as the web layer gathers it; the store adds the owner's quota, queue and the box's GPUs.</summary>
/// <param name="OwnerId">The submitting portal account (it must be bound to a Linux account and enabled).</param>
/// <param name="Spec">The request.</param>
/// <param name="IsAdmin">Administrators may pick specific GPUs and set a priority.</param>
/// <param name="AllowedMountRoots">The folders the owner may mount from.</param>
/// <param name="Host">The CPUs and memory the box gives jobs, when modelled.</param>
/// <param name="Cluster">When jobs go to a Slurm cluster: what one job can get there (the job is then a Slurm job).</param>
/// <param name="IdempotencyKey">The submitter's key for this submission (<see cref="IdempotencyKeys"/>), or null.</param>
public sealed record JobSubmission(
    Guid OwnerId,
    JobSpec Spec,
    bool IsAdmin,
    IReadOnlyList<MountRoot> AllowedMountRoots,
    HostCapacity? Host = null,
    ClusterCapacity? Cluster = null,
    string? IdempotencyKey = null);

/// <summary>The job id of an accepted submission, or every reason it was refused.</summary>
public sealed record SubmitResult(long? JobId, IReadOnlyList<FieldError> Errors)
{
    public bool Accepted => JobId is not null;

    /// <summary>The submission's idempotency key had been used by this owner already: <see cref="JobId"/> is that
    /// earlier job, and nothing new was queued.</summary>
    public bool Repeated { get; init; }
}

/// <summary>How a change to a stored job ended.</summary>
public enum JobChangeStatus
{
    /// <summary>Done and committed.</summary>
    Applied,

    /// <summary>No such job, or not one the requester may see.</summary>
    NotFound,

    /// <summary>The job is not in a state that allows the change (e.g. already started or finished).</summary>
    WrongState,

    /// <summary>Another job holds one of the GPUs (the ledger's unique index refused it); nothing was written.</summary>
    GpuBusy,

    /// <summary>A GPU is unknown, gone, drained, repeated, or not the one the job asked for; nothing was written.</summary>
    GpuUnusable,
}

/// <summary>The outcome of a change, with a message for logs and people when it was refused.</summary>
public sealed record JobChangeResult(JobChangeStatus Status, string? Message = null)
{
    public static JobChangeResult Done { get; } = new(JobChangeStatus.Applied);

    public bool Applied => Status == JobChangeStatus.Applied;
}

/// <summary>One line of a job's GPU ledger.</summary>
public sealed record JobGpuAllocation(string GpuUuid, DateTimeOffset AllocatedAt, DateTimeOffset? ReleasedAt);

/// <summary>A stored job with what the domain entity does not carry.</summary>
/// <param name="Job">The job, rebuilt through <see cref="Job.Restore"/>.</param>
/// <param name="OwnerId">The owning portal account.</param>
/// <param name="ContainerName">The container name the launcher uses.</param>
/// <param name="GpuSeconds">GPU-seconds recorded when it ended; null while it has not.</param>
/// <param name="Allocations">Its ledger lines.</param>
/// <param name="Usage">What its cgroup counted, recorded when it ended; null while it runs or when not known.</param>
/// <param name="Backend">Where it runs, and what that backend last said about it.</param>
/// <param name="HeldByBooking">For a job queued with pending reason Booked: the booking it waits for.</param>
public sealed record JobDetails(
    Job Job,
    Guid OwnerId,
    string? ContainerName,
    double? GpuSeconds,
    IReadOnlyList<JobGpuAllocation> Allocations,
    JobResourceUsage? Usage = null,
    JobBackendFacts? Backend = null,
    BookingHold? HeldByBooking = null);

/// <summary>The booking a queued job waits for (pending reason Booked): whose it is and when it ends.</summary>
/// <param name="BookingId">The booking.</param>
/// <param name="Holder">The holder's portal user name.</param>
/// <param name="Start">When it starts.</param>
/// <param name="End">When it ends.</param>
public sealed record BookingHold(long BookingId, string Holder, DateTimeOffset Start, DateTimeOffset End);

/// <summary>Where a job runs and what its backend last reported: for a Slurm job, Slurm's own words.</summary>
/// <param name="Kind">local or slurm.</param>
/// <param name="JobId">The backend's id (Slurm's job id), once handed over.</param>
/// <param name="State">The backend's state word (PENDING, RUNNING, COMPLETED, NODE_FAIL, ...).</param>
/// <param name="Reason">The backend's reason word (Resources, Priority, QOSMaxGRESPerUser, ...).</param>
/// <param name="Nodes">Where it ran.</param>
/// <param name="Gpus">The GPUs the backend allocated, by name (node/gpuINDEX).</param>
public sealed record JobBackendFacts(string Kind, string? JobId, string? State, string? Reason, string? Nodes, IReadOnlyList<string> Gpus)
{
    public bool IsSlurm => Kind == Entities.Jobs.JobBackends.Slurm;
}

/// <summary>A row of a job list (no history; cheap to page through).</summary>
public sealed record JobSummary(
    long Id,
    Guid OwnerId,
    string Owner,
    string Name,
    string Image,
    JobState State,
    PendingReason PendingReason,
    int GpuCount,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int? ExitCode,
    double? GpuSeconds,
    bool IsApp = false,
    TimeSpan Walltime = default,
    string? EndDetail = null);

/// <summary>The whole box's queue at a glance (every user's jobs, as counts only: no names or owners).</summary>
/// <param name="Running">Jobs holding GPUs or a container (Starting and Running).</param>
/// <param name="Queued">Jobs waiting to start.</param>
/// <param name="Users">Users with a running or queued job.</param>
/// <param name="GpusHeld">GPUs the running jobs hold.</param>
public sealed record QueueSummary(int Running, int Queued, int Users, int GpusHeld);

/// <summary>Which jobs to list.</summary>
/// <param name="OwnerId">Only this owner's jobs (administrators only; everyone else always sees only their own).</param>
/// <param name="States">Only jobs in these states; null or empty for all.</param>
/// <param name="Skip">Rows to skip (in the chosen order; newest first by default).</param>
/// <param name="Take">Rows to return, 1 to <see cref="MaxTake"/>.</param>
/// <param name="Search">Only jobs whose name or image contains this text (any case), or whose id it is; null or blank for all.</param>
/// <param name="Sort">The column to order by (ties broken by id, newest first).</param>
/// <param name="Ascending">Smallest first instead of largest first.</param>
public sealed record JobListQuery(
    Guid? OwnerId = null,
    IReadOnlyCollection<JobState>? States = null,
    int Skip = 0,
    int Take = 50,
    string? Search = null,
    JobSort Sort = JobSort.Id,
    bool Ascending = false)
{
    public const int MaxTake = 500;

    /// <summary>The longest search text taken (longer is refused: no name or image is that long to look for).</summary>
    public const int MaxSearchLength = 200;
}

/// <summary>The columns a job list sorts by.</summary>
public enum JobSort
{
    Id,
    Name,
    State,
    Submitted,

    /// <summary>Time run so far (or in all, once ended); jobs that never started count as none.</summary>
    Elapsed,
}

/// <summary>One page of a job list and how many rows match in all.</summary>
public sealed record JobPage(IReadOnlyList<JobSummary> Items, int Total);

/// <summary>
/// What a scheduling pass reads: the snapshot for <see cref="Scheduler.Plan"/> and the jobs it was built from.
/// </summary>
/// <param name="Snapshot">Queued and GPU-holding jobs, present GPUs with drain flags, quotas and window usage.</param>
/// <param name="Jobs">The jobs by id.</param>
/// <param name="ReadAt">The time the snapshot's usage was computed for.</param>
/// <param name="UnreadableJobIds">Jobs whose stored rows break an invariant and were left out (log them).
/// Their GPUs may look free to the plan; the ledger's unique index still refuses to hand them out.</param>
public sealed record SchedulingState(
    SchedulingSnapshot Snapshot,
    IReadOnlyDictionary<long, Job> Jobs,
    DateTimeOffset ReadAt,
    IReadOnlyList<long> UnreadableJobIds);

/// <summary>A running interactive session as the session proxy needs it.</summary>
/// <param name="JobId">The session's job.</param>
/// <param name="OwnerId">The portal account that owns it: the only one it is served to.</param>
/// <param name="Owner">The Linux account it runs as: its socket's peer must have that account's uid.</param>
/// <param name="Kind">What serves its page.</param>
/// <param name="SlurmJobId">Slurm's id of the job, for a session on a Slurm cluster; null on this host.</param>
public sealed record RunningSession(long JobId, Guid OwnerId, string Owner, Portal.Core.Sessions.SessionKind Kind, long? SlurmJobId = null);

/// <summary>A running app as the session proxy needs it.</summary>
/// <param name="JobId">The app's job.</param>
/// <param name="OwnerId">The portal account that owns it: the only one its web front is served to.</param>
/// <param name="Owner">The Linux account it runs as: its socket's peer must have that account's uid.</param>
/// <param name="AppFile">The app's file as given: whether it has a web front is the parser's answer.</param>
/// <param name="SlurmJobId">Slurm's id of the job, for an app on a Slurm cluster; null on this host.</param>
public sealed record RunningApp(long JobId, Guid OwnerId, string Owner, string AppFile, long? SlurmJobId = null);
