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

    /// <summary>The Linux account the launcher acts as. Absent only for <c>check</c>.</summary>
    public string? User { get; init; }

    /// <summary>The portal's job id: 1 to 64 characters of [a-z0-9-], used for the container name.</summary>
    public string? Job { get; init; }

    public RunSpec? Run { get; init; }

    public StopSpec? Stop { get; init; }

    public LogsSpec? Logs { get; init; }
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

    /// <summary>CPU limit in cores: the CFS quota of the job's cgroup, enforced by the kernel on cgroup v1 and v2; none when absent.</summary>
    public double? Cpus { get; init; }

    /// <summary>Memory limit in MiB of the job's cgroup (no swap); a job over it is OOM-killed inside its cgroup. None when absent.</summary>
    public long? MemoryMiB { get; init; }
}

/// <summary>A host folder mounted into the job's container: the portal's job specs and the launcher's requests
/// both carry these.</summary>
/// <param name="Source">The absolute host path, under one of the owner's mount roots.</param>
/// <param name="Target">The absolute path inside the container.</param>
/// <param name="ReadOnly">Whether the container may only read it.</param>
public sealed record MountSpec(string Source, string Target, bool ReadOnly = false);

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
}
