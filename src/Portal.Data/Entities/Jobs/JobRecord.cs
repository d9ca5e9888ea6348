namespace Portal.Data.Entities.Jobs;

/// <summary>
/// A stored job: the request (<see cref="Portal.Core.Jobs.JobSpec"/> as columns) and where it is in its life.
/// Change it only through <see cref="Portal.Data.Jobs.JobStore"/>, which replays the domain's state rules; the
/// table's check constraints refuse the combinations no legal history can produce.
/// </summary>
public sealed class JobRecord
{
    /// <summary>The longest "keep" reason a session's owner may record.</summary>
    public const int MaxKeepReasonLength = 200;

    public long Id { get; set; }

    /// <summary>The portal account that submitted the job.</summary>
    public Guid OwnerId { get; set; }

    /// <summary>The Linux account the job runs as, copied at submit so a later rebinding cannot move the job.</summary>
    public required string OwnerLinuxUserName { get; set; }

    public required string Name { get; set; }

    public required string Image { get; set; }

    /// <summary>The argv items (PostgreSQL <c>text[]</c>); empty runs the image's default command.</summary>
    public string[] Command { get; set; } = [];

    /// <summary>Extra environment variables as a JSON object (<c>jsonb</c>).</summary>
    public string EnvironmentJson { get; set; } = "{}";

    public string? WorkingDirectory { get; set; }

    /// <summary>The mounts as a JSON array of {source, target, readOnly} (<c>jsonb</c>).</summary>
    public string MountsJson { get; set; } = "[]";

    /// <summary>How many GPUs the job needs.</summary>
    public int GpuCount { get; set; }

    /// <summary>The exact GPUs asked for (administrators), or empty for any <see cref="GpuCount"/> GPUs.</summary>
    public string[] SpecificGpuUuids { get; set; } = [];

    public double Cpus { get; set; }

    public long MemoryMiB { get; set; }

    public TimeSpan Walltime { get; set; }

    public int Priority { get; set; }

    /// <summary>For an interactive session: what serves its page (a <see cref="Portal.Core.Sessions.SessionKind"/> name);
    /// null for a batch job.</summary>
    public string? SessionKind { get; set; }

    /// <summary>For a session web app that listens on TCP only: its port inside the container.</summary>
    public int? SessionPort { get; set; }

    /// <summary>The job may be stopped and queued again by an idle-reclaim policy (a batch job on this host only).</summary>
    public bool Restartable { get; set; }

    /// <summary>How many times the job was started: 0 while it never left the queue, 2 and more once it was requeued.</summary>
    public int Attempts { get; set; }

    /// <summary>For a session: the owner's "keep" exempts it from idle reclaim until then (null: no keep).</summary>
    public DateTimeOffset? IdleKeepUntil { get; set; }

    /// <summary>Why the owner keeps the session (with <see cref="IdleKeepUntil"/>).</summary>
    public string? IdleKeepReason { get; set; }

    public JobStateColumn State { get; set; }

    public PendingReasonColumn PendingReason { get; set; }

    /// <summary>The podman container name the launcher is asked to use (known before the container exists).</summary>
    public string? ContainerName { get; set; }

    public string? ContainerId { get; set; }

    public int? ExitCode { get; set; }

    public DateTimeOffset SubmittedAt { get; set; }

    /// <summary>When GPUs were assigned (the move to Starting); accounting starts here.</summary>
    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>When the job reached a final state.</summary>
    public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>For an app: the compose file or Kubernetes Pod as given (see <see cref="Portal.Core.Jobs.JobSpec.AppFile"/>); null for a job.</summary>
    public string? AppFile { get; set; }

    /// <summary>GPUs held times seconds held, written when the job ends.</summary>
    public double? GpuSeconds { get; set; }

    /// <summary>CPU time of every process of the job, from its cgroup, written when the job ends (null: not known).</summary>
    public double? CpuSeconds { get; set; }

    /// <summary>The job's peak memory from its cgroup, written when the job ends (null: not known).</summary>
    public long? PeakMemoryBytes { get; set; }

    /// <summary>Processes of the job the kernel's OOM killer ended, written when the job ends (null: not known).</summary>
    public long? OomKills { get; set; }

    /// <summary>Where the job runs: <c>local</c> (podman on this host, placed by the portal) or <c>slurm</c> (a Slurm
    /// job of its owner, placed by Slurm). Fixed at submit.</summary>
    public string Backend { get; set; } = JobBackends.Local;

    /// <summary>The backend's id for the job (Slurm's job id), once it was handed over.</summary>
    public string? BackendJobId { get; set; }

    /// <summary>The backend's own state word as last seen (Slurm: PENDING, RUNNING, COMPLETED, NODE_FAIL, ...), or
    /// <c>SUBMITTING</c> while the portal hands it over.</summary>
    public string? BackendState { get; set; }

    /// <summary>The backend's own reason word as last seen (Slurm: Resources, Priority, QOSMaxGRESPerUser, ...).</summary>
    public string? BackendReason { get; set; }

    /// <summary>The nodes the job ran on.</summary>
    public string? BackendNodes { get; set; }

    /// <summary>The GPUs the backend allocated, by name (Slurm: <c>node/gpuINDEX</c>); local jobs keep theirs in the
    /// GPU ledger instead.</summary>
    public string[] BackendGpus { get; set; } = [];

    /// <summary>The submitter's key for this submission (<see cref="Portal.Core.Jobs.IdempotencyKeys"/>): the same key
    /// from the same owner again answers with this job instead of queuing a second one.</summary>
    public string? IdempotencyKey { get; set; }
}

/// <summary>The values of <see cref="JobRecord.Backend"/>.</summary>
public static class JobBackends
{
    public const string Local = "local";
    public const string Slurm = "slurm";

    /// <summary><see cref="JobRecord.BackendState"/> while the portal hands a job to Slurm (sbatch not answered yet).</summary>
    public const string Submitting = "SUBMITTING";
}
