namespace Portal.Launcher.Protocol;

/// <summary>The one JSON object the launcher writes on stdout (except for streamed logs).</summary>
public sealed record LauncherResponse
{
    public bool Ok { get; init; }

    /// <summary>A sentence a person can read when <see cref="Ok"/> is false.</summary>
    public string? Error { get; init; }

    /// <summary>The podman (or tool) exit code when the operation itself failed.</summary>
    public int? ToolExitCode { get; init; }

    public string? ContainerId { get; init; }

    public string? ContainerName { get; init; }

    public ContainerState? Container { get; init; }

    public IReadOnlyList<ContainerState>? Containers { get; init; }

    public IReadOnlyList<ImageInfo>? Images { get; init; }

    /// <summary>For <c>image-pull</c>: the id of the image pulled.</summary>
    public string? ImageId { get; init; }

    public IReadOnlyList<CheckItem>? Checks { get; init; }

    /// <summary>
    /// <c>check</c>: the ids of the GPUs the policy names (whole GPUs and MIG instances), the only ones a job may be
    /// given; the portal keeps every other GPU of its ledger out of service.
    /// </summary>
    public IReadOnlyList<string>? PolicyGpus { get; init; }

    /// <summary><c>check</c>: what the policy enforces outside jobs, for the GPU admin page.</summary>
    public PolicyFacts? Policy { get; init; }

    /// <summary><c>kill-gpu-process</c>: how the process ended.</summary>
    public ProcessKill? Killed { get; init; }

    /// <summary>The account whose password was right (verb <c>authenticate</c>).</summary>
    public AuthenticatedAccount? Authenticated { get; init; }

    /// <summary>For <c>app-export</c>: the pod as <c>podman kube generate</c> writes it.</summary>
    public string? Export { get; init; }

    /// <summary>
    /// The kernel's view of the job (<c>run</c>, <c>inspect</c>, <c>stop</c>, <c>remove</c>, <c>release</c>): whether
    /// its cgroup still holds a process, and its accounting. Present also when podman failed or timed out, so the
    /// portal can tell a job that still runs from one that is gone whatever podman's database says.
    /// </summary>
    public CgroupState? Cgroup { get; init; }

    /// <summary><c>list</c>: every job cgroup the launcher keeps for the user, known to podman or not.</summary>
    public IReadOnlyList<CgroupState>? Cgroups { get; init; }

    /// <summary>Slurm's id of the job <c>slurm-submit</c> created.</summary>
    public long? SlurmJobId { get; init; }

    /// <summary>Non-fatal notes, e.g. podman saying that limits are ignored on this host.</summary>
    public IReadOnlyList<string>? Warnings { get; init; }
}

public sealed record ContainerState
{
    public required string Name { get; init; }

    public string? Id { get; init; }

    public string? Job { get; init; }

    public string? Owner { get; init; }

    /// <summary>Podman's state word: created, running, exited, ...</summary>
    public string? State { get; init; }

    public int? ExitCode { get; init; }

    public int? Pid { get; init; }

    public int? ConmonPid { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? FinishedAt { get; init; }

    public string? Image { get; init; }

    /// <summary>For a container of an app: the app's job id (label <c>portal.app</c>).</summary>
    public string? App { get; init; }

    /// <summary>For a container of an app: its service (label <c>portal.service</c>).</summary>
    public string? Service { get; init; }
    /// <summary>The job's cgroup as the kernel reports it (<c>inspect</c> and <c>list</c>, for jobs the launcher started
    /// in a cgroup): whether it still runs, and its accounting, whatever podman's state says.</summary>
    public CgroupState? Cgroup { get; init; }
}

public sealed record ImageInfo
{
    public required string Id { get; init; }

    public IReadOnlyList<string> Names { get; set; } = [];

    public long? Size { get; init; }

    public DateTimeOffset? Created { get; init; }
}

/// <summary>
/// A job's root-owned cgroup as the kernel reports it (docs/launcher.md, "Job cgroups"). The job's processes,
/// podman's conmon among them, cannot leave it; every figure covers all of them.
/// </summary>
public sealed record CgroupState
{
    /// <summary>The job id.</summary>
    public required string Job { get; init; }

    /// <summary>False when the launcher keeps no cgroup for the job (never started here, or removed after its end).</summary>
    public bool Exists { get; init; }

    /// <summary>True while any process is left in the job's cgroup: the job runs, whatever podman says.</summary>
    public bool Populated { get; init; }

    /// <summary>CPU time used by every process of the job, podman's start of it included.</summary>
    public double CpuSeconds { get; init; }

    /// <summary>The most memory the job's cgroup held since the container started (null where the kernel keeps no peak).</summary>
    public long? PeakMemoryBytes { get; init; }

    /// <summary>The memory limit enforced on the job; null when none was asked for.</summary>
    public long? MemoryLimitBytes { get; init; }

    /// <summary>Processes the kernel's OOM killer ended inside the job's cgroup; above 0 means the job hit its memory limit.</summary>
    public long OomKills { get; init; }
}

/// <summary>One line of the <c>check</c> self-test.</summary>
public sealed record CheckItem
{
    public required string Name { get; init; }

    /// <summary>ok, warn or fail.</summary>
    public required string Status { get; init; }

    public required string Detail { get; init; }
}

/// <summary>What the launcher's policy decides about GPUs outside jobs (the <c>check</c> answer).</summary>
public sealed record PolicyFacts
{
    /// <summary>Device ACL mode: GPU nodes are root's alone and a job's owner gets an ACL on its GPUs while it runs.</summary>
    public bool ManageDeviceAcls { get; init; }

    /// <summary>The policy allows <c>kill-gpu-process</c>.</summary>
    public bool KillGpuProcesses { get; init; }

    /// <summary>Seconds between SIGTERM and SIGKILL for <c>kill-gpu-process</c>.</summary>
    public int GpuProcessKillGraceSeconds { get; init; }

    /// <summary>Where job cgroups live under each hierarchy (<c>portal</c>, or a systemd unit's delegated cgroup): a
    /// job's cgroup is <c>/&lt;parent&gt;/user-&lt;uid&gt;/job-&lt;job&gt;</c> and nothing else is, whatever a user
    /// names a cgroup of their own.</summary>
    public string? CgroupParent { get; init; }

    /// <summary>The policy's slurm section names the nodes' sockbridge: interactive sessions may run on the cluster.</summary>
    public bool SlurmSessions { get; init; }
}

/// <summary>How <c>kill-gpu-process</c> ended a process.</summary>
public sealed record ProcessKill
{
    /// <summary><c>SIGTERM</c> when it ended within the grace, else <c>SIGKILL</c>.</summary>
    public required string Signal { get; init; }

    /// <summary>True once the process is gone (a process stuck in the kernel may outlive SIGKILL for a while).</summary>
    public bool Exited { get; init; }
}
