namespace Portal.Launcher.Policy;

/// <summary>The root-owned policy file (deploy/launcher.json.example documents each field).</summary>
internal sealed record LauncherPolicy
{
    public const string DefaultStateDir = "/run/portal-launcher";
    public const string DefaultSetfacl = "/usr/bin/setfacl";
    public const string DefaultUseradd = "/usr/sbin/useradd";
    public const string DefaultUsermod = "/usr/sbin/usermod";
    public const long DefaultSubIdBase = 100000;
    public const long DefaultSubIdCount = 65536;

    public required int Version { get; init; }

    /// <summary>Users below this uid (system accounts, root) are never launched for.</summary>
    public required uint MinUid { get; init; }

    /// <summary>Only members of this Unix group are launched for (and provision-user adds to it).</summary>
    public required string Group { get; init; }

    public required string Podman { get; init; }

    /// <summary>OCI runtime given to podman: runc or crun (or an absolute path to one).</summary>
    public required string Runtime { get; init; }

    public bool AllowNetwork { get; init; }

    public IReadOnlyList<MountRoot> MountRoots { get; set; } = [];

    public IReadOnlyList<GpuDevice> Gpus { get; set; } = [];

    /// <summary>Shared nodes every GPU job needs (nvidiactl, nvidia-uvm, ...).</summary>
    public IReadOnlyList<string> GpuControlNodes { get; set; } = [];

    /// <summary>Pass GPUs as CDI names (a CDI spec exists) instead of device nodes.</summary>
    public bool UseCdi { get; init; }

    public required Limit Pids { get; init; }

    public required Limit LogBytes { get; init; }

    /// <summary>The most CPU cores one job may ask for; the host's online CPUs when absent.</summary>
    public double? MaxCpus { get; init; }

    /// <summary>The most memory (MiB) one job may ask for; unbounded (beyond podman's minimum) when absent.</summary>
    public long? MaxMemoryMiB { get; init; }

    /// <summary>Grant the job's owner an ACL on exactly its GPU nodes for the job's lifetime.</summary>
    public bool ManageDeviceAcls { get; init; }

    public required string AuditLog { get; init; }

    /// <summary>Root-only directory for launcher state (device grants, provisioning lock).</summary>
    public string StateDir { get; set; } = DefaultStateDir;

    public string Setfacl { get; set; } = DefaultSetfacl;

    public string Useradd { get; set; } = DefaultUseradd;

    public string Usermod { get; set; } = DefaultUsermod;

    /// <summary>Where provision-user starts looking for a free subuid/subgid block.</summary>
    public long SubIdBase { get; set; } = DefaultSubIdBase;

    public long SubIdCount { get; set; } = DefaultSubIdCount;

    /// <summary>Set when jobs go to a Slurm cluster; the Slurm verbs are refused without it.</summary>
    public SlurmPolicy? Slurm { get; init; }
}

internal sealed record MountRoot
{
    /// <summary>An absolute directory; with <see cref="UserHome"/> the user's own home is the root instead.</summary>
    public string? Path { get; init; }

    public bool UserHome { get; init; }

    public bool ReadOnly { get; init; }
}

internal sealed record GpuDevice
{
    /// <summary>The name requests use (an index such as "1", or a UUID).</summary>
    public required string Id { get; init; }

    public required string Node { get; init; }

    /// <summary>CDI device name, e.g. nvidia.com/gpu=1.</summary>
    public string? Cdi { get; init; }

    /// <summary>Value for CUDA_VISIBLE_DEVICES/NVIDIA_VISIBLE_DEVICES (the UUID where known); defaults to <see cref="Id"/>.</summary>
    public string? VisibleId { get; init; }
}

internal sealed record Limit
{
    public required long Default { get; init; }

    public required long Max { get; init; }
}
