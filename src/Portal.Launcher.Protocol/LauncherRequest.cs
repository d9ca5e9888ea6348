namespace Portal.Launcher.Protocol;

/// <summary>
/// The one request the launcher reads from stdin. Only the section that belongs to
/// <see cref="Verb"/> may be present; the launcher refuses anything else.
/// </summary>
public sealed record LauncherRequest
{
    /// <summary>Must equal <see cref="LauncherProtocol.Version"/>.</summary>
    public required int Version { get; init; }

    /// <summary>One of <see cref="LauncherVerbs"/>.</summary>
    public required string Verb { get; init; }

    /// <summary>The Linux account the launcher acts as (or provisions). Absent only for <c>check</c>.</summary>
    public string? User { get; init; }

    /// <summary>The portal's job id: 1 to 64 characters of [a-z0-9-], used for the container name.</summary>
    public string? Job { get; init; }

    public RunSpec? Run { get; init; }

    public StopSpec? Stop { get; init; }

    public LogsSpec? Logs { get; init; }

    /// <summary>The Slurm part of <c>slurm-submit</c>, <c>slurm-cancel</c> and <c>slurm-log</c>.</summary>
    public SlurmSpec? Slurm { get; init; }
}

/// <summary>What a <c>run</c> request may choose. Everything else is fixed by the launcher and its policy.</summary>
public sealed record RunSpec
{
    /// <summary>A local image reference, e.g. <c>localhost/busybox:latest</c>; never an option.</summary>
    public required string Image { get; init; }

    /// <summary>The job's command: separate argv items placed after the image.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>Environment for the job; names are [A-Za-z_][A-Za-z0-9_]*; GPU variables are reserved.</summary>
    public IReadOnlyDictionary<string, string>? Env { get; init; }

    /// <summary>GPU ids exactly as the policy names them.</summary>
    public IReadOnlyList<string>? Gpus { get; init; }

    public IReadOnlyList<MountSpec>? Mounts { get; init; }

    /// <summary>Absolute working directory inside the container.</summary>
    public string? Workdir { get; init; }

    /// <summary>Process limit; the policy default when absent, never above the policy maximum.</summary>
    public int? PidsLimit { get; init; }

    /// <summary>Container log size limit in bytes; the policy default when absent.</summary>
    public long? LogMaxBytes { get; init; }

    /// <summary>CPU limit in cores (podman <c>--cpus</c>); none when absent. Rootless podman on cgroup v1 ignores it
    /// and says so in the run's warnings.</summary>
    public double? Cpus { get; init; }

    /// <summary>Memory limit in MiB (podman <c>--memory</c>); none when absent. Ignored like <see cref="Cpus"/> on cgroup v1.</summary>
    public long? MemoryMiB { get; init; }
}

/// <summary>A bind mount of a host path under one of the policy's allowed roots.</summary>
public sealed record MountSpec
{
    public required string Source { get; init; }

    public required string Target { get; init; }

    public bool ReadOnly { get; init; }
}

public sealed record StopSpec
{
    /// <summary>Seconds between SIGTERM and SIGKILL. (A setter, not init: the JSON source generator would overwrite an init default.)</summary>
    public int TimeoutSeconds { get; set; } = 10;
}

public sealed record LogsSpec
{
    /// <summary>Keep the stream open until the container exits.</summary>
    public bool Follow { get; init; }

    /// <summary>
    /// With <see cref="Follow"/>: the caller keeps stdin open after the request (ended by a newline) and
    /// closes it to end the stream early. The portal needs this: through sudo the launcher, then podman,
    /// run under uids that no signal of the portal's can reach.
    /// </summary>
    public bool UntilStdinCloses { get; init; }

    /// <summary>Last N lines only.</summary>
    public int? Tail { get; init; }

    /// <summary>Only lines after this instant.</summary>
    public DateTimeOffset? Since { get; init; }
}
