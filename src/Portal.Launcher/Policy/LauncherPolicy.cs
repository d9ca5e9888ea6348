using Portal.Launcher.Protocol;

namespace Portal.Launcher.Policy;

/// <summary>The root-owned policy file (deploy/launcher.json.example documents each field).</summary>
internal sealed record LauncherPolicy
{
    public const string DefaultStateDir = "/run/portal-launcher";
    public const string DefaultSetfacl = "/usr/bin/setfacl";
    public const string DefaultCgroupParent = "portal";
    public const int DefaultPodmanTimeoutSeconds = 30;
    public const string DefaultConmon = "/usr/bin/conmon";
    public const string DefaultFuseOverlayfs = "/usr/bin/fuse-overlayfs";
    public const string OverlayStorage = "overlay";
    public const string VfsStorage = "vfs";

    public required int Version { get; init; }

    /// <summary>Users below this uid (system accounts, root) are never launched for.</summary>
    public required uint MinUid { get; init; }

    /// <summary>Only members of this Unix group are launched for.</summary>
    public required string Group { get; init; }

    public required string Podman { get; init; }

    /// <summary>OCI runtime given to podman: runc or crun (or an absolute path to one).</summary>
    public required string Runtime { get; init; }

    public bool AllowNetwork { get; init; }

    public IReadOnlyList<PolicyMountRoot> MountRoots { get; set; } = [];

    public IReadOnlyList<PolicyGpu> Gpus { get; set; } = [];

    /// <summary>Shared nodes every GPU job needs (nvidiactl, nvidia-uvm, ...).</summary>
    public IReadOnlyList<string> GpuControlNodes { get; set; } = [];

    /// <summary>Pass GPUs as CDI names (a CDI spec exists) instead of device nodes.</summary>
    public bool UseCdi { get; init; }

    /// <summary>
    /// The NVIDIA driver's user-space files that device-node mode mounts read-only into every GPU job (the install
    /// discovers them, docs/gpus.md); null: none are mounted. Ignored with <see cref="UseCdi"/>: the CDI spec mounts them.
    /// </summary>
    public DriverPolicy? Driver { get; init; }

    /// <summary>podman's <c>--pids-limit</c> for every job.</summary>
    public required long PidsLimit { get; init; }

    /// <summary>podman's <c>--log-opt max-size=</c> for every job, in bytes.</summary>
    public required long LogMaxBytes { get; init; }

    /// <summary>The most CPU cores one job may ask for; the host's online CPUs when absent.</summary>
    public double? MaxCpus { get; init; }

    /// <summary>The most memory (MiB) one job may ask for; unbounded (beyond podman's minimum) when absent.</summary>
    public long? MaxMemoryMiB { get; init; }

    /// <summary>Grant the job's owner an ACL on exactly its GPU nodes for the job's lifetime.</summary>
    public bool ManageDeviceAcls { get; init; }

    public required string AuditLog { get; init; }

    /// <summary>Root-only directory for launcher state (device grants).</summary>
    public string StateDir { get; set; } = DefaultStateDir;

    public string Setfacl { get; set; } = DefaultSetfacl;

    /// <summary>The PAM service (a file in /etc/pam.d) that <c>authenticate</c> checks passwords with.</summary>
    public string PamService { get; set; } = DefaultPamService;

    /// <summary>Groups beyond <see cref="BuiltInPrivilegedGroups"/> whose members the launcher never acts as.</summary>
    public IReadOnlyList<string> PrivilegedGroups { get; set; } = [];

    /// <summary>Homes must lie strictly below one of these; "/" and homes elsewhere are refused.</summary>
    public IReadOnlyList<string> HomeRoots { get; set; } = DefaultHomeRoots;

    public const string DefaultPamService = "portal";

    public static readonly IReadOnlyList<string> DefaultHomeRoots = ["/home"];

    /// <summary>See <see cref="AccountRules.BuiltInPrivilegedGroups"/>, shared with the portal.</summary>
    public static IReadOnlyList<string> BuiltInPrivilegedGroups => AccountRules.BuiltInPrivilegedGroups;

    /// <summary>The built-in privileged groups and the policy's own.</summary>
    public IEnumerable<string> AllPrivilegedGroups => BuiltInPrivilegedGroups.Concat(PrivilegedGroups);

    /// <summary>Where session folders live and who may connect to them; null: this box runs no sessions.</summary>
    public SessionPolicy? Sessions { get; init; }

    /// <summary>
    /// Where job cgroups live, relative to the root of each cgroup hierarchy: <c>portal</c> (the launcher creates it)
    /// or, on a systemd host, the cgroup of a unit with <c>Delegate=yes</c> (e.g. <c>system.slice/portal-jobs.service</c>).
    /// </summary>
    public string CgroupParent { get; set; } = DefaultCgroupParent;

    /// <summary>The deadline of every podman call (a stop's grace period comes on top); past it podman is killed.</summary>
    public int PodmanTimeoutSeconds { get; set; } = DefaultPodmanTimeoutSeconds;

    /// <summary>conmon, by absolute path, written into the root-owned containers.conf.</summary>
    public string Conmon { get; set; } = DefaultConmon;

    /// <summary>overlay (native where the kernel allows rootless overlay, else through fuse-overlayfs) or vfs.</summary>
    public string StorageDriver { get; set; } = OverlayStorage;

    /// <summary>fuse-overlayfs, used for overlay storage on kernels without rootless overlay (before 5.13).</summary>
    public string FuseOverlayfs { get; set; } = DefaultFuseOverlayfs;

    /// <summary>Set when jobs go to a Slurm cluster; the Slurm verbs are refused without it.</summary>
    public SlurmPolicy? Slurm { get; init; }

    /// <summary>The registries <c>image-pull</c> may reach, and the only ones the generated registries.conf lists.
    /// Empty: no pull at all.</summary>
    public IReadOnlyList<PolicyRegistry> Registries { get; init; } = [];

    /// <summary>The deadline of one <c>image-pull</c>: pulls take longer than the other podman calls.</summary>
    public int ImagePullTimeoutSeconds { get; init; } = DefaultImagePullTimeoutSeconds;

    public const int DefaultImagePullTimeoutSeconds = 900;

    /// <summary>The deadline of one <c>image-build</c>: a build past it is killed and what it left is removed.</summary>
    public int ImageBuildTimeoutSeconds { get; init; } = DefaultImageBuildTimeoutSeconds;

    public const int DefaultImageBuildTimeoutSeconds = 1800;

    /// <summary>Whether <c>kill-gpu-process</c> may end a process that computes on a GPU outside any allocation. Off unless
    /// the policy says so: the portal's own option must agree too.</summary>
    public bool KillGpuProcesses { get; init; }

    /// <summary>Seconds between the SIGTERM and the SIGKILL of <c>kill-gpu-process</c>.</summary>
    public int GpuProcessKillGraceSeconds { get; init; } = DefaultGpuProcessKillGraceSeconds;

    public const int DefaultGpuProcessKillGraceSeconds = 5;
}

/// <summary>A registry users may pull from.</summary>
internal sealed record PolicyRegistry
{
    /// <summary><c>host[:port]</c>, exactly as image references name it.</summary>
    public required string Host { get; init; }

    /// <summary>Plain HTTP or an unverified certificate: allowed only for a registry on this machine's loopback.</summary>
    public bool Insecure { get; init; }

    /// <summary>The loopback hosts an insecure registry may have: traffic to them never leaves the machine.</summary>
    public static bool IsLoopback(string host)
    {
        int colon = host.LastIndexOf(':');
        string name = colon < 0 ? host : host[..colon];
        return name is "localhost" or "127.0.0.1";
    }
}

/// <summary>Interactive sessions (docs/sessions.md): the session folders and the portal's proxy group.</summary>
internal sealed record SessionPolicy
{
    /// <summary>A root-owned directory, ideally its own small tmpfs, holding one folder per session job.</summary>
    public required string Dir { get; init; }

    /// <summary>The group given to every session folder; its only member is the portal's account.</summary>
    public required string Group { get; init; }

    /// <summary>sockbridge, for apps that listen on TCP only; null: such sessions are refused.</summary>
    public string? Bridge { get; init; }
}

/// <summary>A mount root as the policy lists it: a folder, or "the user's home".</summary>
internal sealed record PolicyMountRoot
{
    /// <summary>An absolute directory; with <see cref="UserHome"/> the user's own home is the root instead.</summary>
    public string? Path { get; init; }

    public bool UserHome { get; init; }

    public bool ReadOnly { get; init; }

    /// <summary>The folder this entry stands for when <paramref name="home"/> is the user's home; null for a home
    /// entry when that home is no clean path.</summary>
    public Protocol.MountRoot? For(string home) =>
        !UserHome ? new(Path!, ReadOnly) : PathRules.IsMountPath(home) ? new(home, ReadOnly) : null;
}

/// <summary>A GPU the policy lets jobs have (a different thing from the portal's <c>Portal.Core.Gpus.GpuDevice</c>,
/// the driver's view of a GPU): the id requests name, and how podman is given it.</summary>
internal sealed record PolicyGpu
{
    /// <summary>The name requests use (an index such as "1", or a UUID).</summary>
    public required string Id { get; init; }

    public required string Node { get; init; }

    /// <summary>
    /// Further nodes a job given this GPU needs: for a MIG instance (<see cref="Id"/> its MIG UUID, <see cref="Node"/>
    /// its parent GPU's node) the access nodes of its GPU and compute instance, /dev/nvidia-caps/nvidia-cap&lt;minor&gt;
    /// (minors from /proc/driver/nvidia-caps/mig-minors). Passed with --device and opened by the job's device filter.
    /// </summary>
    public IReadOnlyList<string> Caps { get; init; } = [];

    /// <summary>The device nodes of this GPU: its node, then its capability nodes.</summary>
    public IEnumerable<string> Nodes => Caps.Prepend(Node);

    /// <summary>CDI device name, e.g. nvidia.com/gpu=1.</summary>
    public string? Cdi { get; init; }

    /// <summary>Value for CUDA_VISIBLE_DEVICES/NVIDIA_VISIBLE_DEVICES (the UUID where known); defaults to <see cref="Id"/>.</summary>
    public string? VisibleId { get; init; }
}

/// <summary>The driver's user-space files, as discovered for one driver version.</summary>
internal sealed record DriverPolicy
{
    /// <summary>The kernel module's version the list was made for (e.g. 590.48.01).</summary>
    public required string Version { get; init; }

    public required IReadOnlyList<DriverFile> Files { get; init; }
}

/// <summary>One file of the driver: a library, a program or a firmware file, by its real host path.</summary>
internal sealed record DriverFile
{
    public required string Path { get; init; }

    /// <summary>For a library: the other names it has in the library folder (its soname, e.g. libcuda.so.1, and
    /// libcuda.so), mounted too, since a job's image has no symlink to it.</summary>
    public IReadOnlyList<string> Links { get; init; } = [];
}
