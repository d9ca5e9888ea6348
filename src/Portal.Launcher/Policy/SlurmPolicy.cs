namespace Portal.Launcher.Policy;

/// <summary>
/// The policy's <c>slurm</c> section: present when the portal submits jobs to a Slurm cluster. The tools run as the
/// user after the drop (munge authenticates that uid to Slurm); the node settings shape the batch script the
/// launcher writes, which runs podman on whichever node Slurm picks.
/// </summary>
internal sealed record SlurmPolicy
{
    public const string DefaultSbatch = "/usr/bin/sbatch";
    public const string DefaultScancel = "/usr/bin/scancel";
    public const string DefaultSqueue = "/usr/bin/squeue";
    public const string DefaultTail = "/usr/bin/tail";
    public const string DefaultSrun = "/usr/bin/srun";

    public string Sbatch { get; init; } = DefaultSbatch;

    public string Scancel { get; init; } = DefaultScancel;

    public string Squeue { get; init; } = DefaultSqueue;

    /// <summary>Reads the job's output file for <c>slurm-log</c>.</summary>
    public string Tail { get; init; } = DefaultTail;

    /// <summary>Runs the relay step of <c>slurm-connect</c> inside a session's job.</summary>
    public string Srun { get; init; } = DefaultSrun;

    /// <summary>
    /// sockbridge on the compute nodes (built from src/Portal.SocketBridge; static, so one copy fits every node). With
    /// it, interactive sessions run on the cluster: the batch script mounts it for apps that listen on a TCP port, and
    /// <c>slurm-connect</c> runs it as the relay to the app's socket. Without it, sessions are refused.
    /// </summary>
    public string? NodeBridge { get; init; }

    /// <summary>Whether the policy lets sessions run on the cluster.</summary>
    public bool AllowsSessions => NodeBridge is not null;

    /// <summary>The cluster's slurm.conf when it is not Slurm's compiled-in default (given to the tools as SLURM_CONF).</summary>
    public string? Config { get; init; }

    /// <summary>The partitions requests may name; a request that names none goes to the cluster's default partition.</summary>
    public IReadOnlyList<string> Partitions { get; init; } = [];

    /// <summary>podman on the compute nodes.</summary>
    public required string NodePodman { get; init; }

    /// <summary>The OCI runtime on the compute nodes: runc or crun (or an absolute path to one).</summary>
    public required string NodeRuntime { get; init; }

    /// <summary>
    /// <c>disabled</c>: podman runs the container with <c>--cgroups=disabled</c>, so it stays in Slurm's job cgroup
    /// (cgroup v2 nodes, where podman would otherwise move it out; needs crun). <c>inherit</c>: podman's default,
    /// which on cgroup v1 nodes leaves the container in the caller's (Slurm's) cgroups anyway.
    /// </summary>
    public required string Cgroups { get; init; }

    /// <summary>How the GPUs Slurm allocated reach the container: <c>cdi</c> (nvidia.com/gpu=INDEX), <c>nodes</c>
    /// (/dev/nvidiaINDEX plus the policy's gpuControlNodes), or <c>none</c> (only the visible-device variables).</summary>
    public required string GpuDevices { get; init; }

    public bool DisablesCgroups => Cgroups == "disabled";
}
