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

    /// <summary>The password to check for <see cref="User"/> (verb <c>authenticate</c> only).</summary>
    public AuthenticateSpec? Authenticate { get; init; }

    /// <summary>For <c>app-up</c>, and <c>slurm-submit</c> of an app (instead of <see cref="Run"/>): the app's services, in start order.</summary>
    public AppSpec? App { get; init; }

    /// <summary>The Slurm part of <c>slurm-submit</c>, <c>slurm-cancel</c> and <c>slurm-log</c>.</summary>
    public SlurmSpec? Slurm { get; init; }

    /// <summary>The image of <c>image-pull</c> and <c>image-remove</c>.</summary>
    public ImageSpec? Image { get; init; }

    /// <summary>The build of <c>image-build</c> (<see cref="ImageBuildRules"/> says which it takes).</summary>
    public BuildSpec? Build { get; init; }

    /// <summary>The process of <c>kill-gpu-process</c>; <see cref="User"/> names its owner.</summary>
    public ProcessSpec? Process { get; init; }
}

/// <summary>
/// One process, named so that a recycled pid can never stand for it: the pid, its start time (field 22 of
/// <c>/proc/&lt;pid&gt;/stat</c>, clock ticks since boot) and its real uid, all as the portal read them.
/// </summary>
public sealed record ProcessSpec
{
    public required int Pid { get; init; }

    public required ulong StartTime { get; init; }

    public required uint Uid { get; init; }
}

/// <summary>An image build from a folder of the user's.</summary>
public sealed record BuildSpec
{
    /// <summary>The build context: an absolute folder under one of the user's mount roots, no symlink on the way.</summary>
    public required string Context { get; init; }

    /// <summary>The Containerfile's name inside <see cref="Context"/> (a file name, no '/'); when null, <c>Containerfile</c>,
    /// else <c>Dockerfile</c>.</summary>
    public string? Containerfile { get; init; }

    /// <summary><c>NAME[:TAG]</c>: the image is tagged <c>localhost/NAME:TAG</c> (<see cref="ImageBuildRules.LocalReference"/>).</summary>
    public required string Tag { get; init; }
}

/// <summary>One image of the user's own storage (<see cref="ImageRules"/> says which references each verb takes).</summary>
public sealed record ImageSpec
{
    /// <summary>For <c>image-pull</c>: <c>host[:port]/path[:tag][@sha256:digest]</c> on a registry the policy allows.
    /// For <c>image-remove</c>: a reference or an image id.</summary>
    public required string Reference { get; init; }
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

    /// <summary>
    /// A web app served through the portal: the launcher creates the job's session folder (owner: the user; group: the
    /// portal's proxy group; 2710) and mounts it at <see cref="SessionRules.FolderTarget"/>. Absent for batch jobs.
    /// </summary>
    public SessionSpec? Session { get; init; }
}

/// <summary>How a session's app reaches its socket.</summary>
public sealed record SessionSpec
{
    /// <summary>
    /// The TCP port the app listens on inside the container, for apps without Unix socket support: sockbridge starts
    /// the app and relays the socket to 127.0.0.1:port. Null when the app listens on the socket itself.
    /// </summary>
    public int? BridgePort { get; init; }
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

    /// <summary>For <c>app-logs</c>, and <c>slurm-log</c> of an app (only there): the service whose log to stream.</summary>
    public string? Service { get; init; }
}

/// <summary>
/// An app: one pod without a network, one hardened container per service, started in the order given. Each service's
/// <see cref="AppServiceSpec.Run"/> follows every rule a job's <c>run</c> follows.
/// </summary>
public sealed record AppSpec
{
    /// <summary>The services in start order: each depends only on services before it.</summary>
    public required IReadOnlyList<AppServiceSpec> Services { get; init; }

    /// <summary>Named app volumes, created as <c>portal-app-&lt;job&gt;-&lt;name&gt;</c> and removed with the app.</summary>
    public IReadOnlyList<string>? Volumes { get; init; }
}

/// <summary>One service of an app.</summary>
public sealed record AppServiceSpec
{
    /// <summary>The service's name (<see cref="AppRules.IsServiceName"/>): its host name in the app and its container's suffix.</summary>
    public required string Name { get; init; }

    /// <summary>Image, command, environment, GPUs, bind mounts, working directory and limits, exactly as for a job.</summary>
    public required RunSpec Run { get; init; }

    /// <summary>Replaces the image's entrypoint (argv items).</summary>
    public IReadOnlyList<string>? Entrypoint { get; init; }

    public IReadOnlyList<AppVolumeMountSpec>? Volumes { get; init; }

    /// <summary>Labels for the container; none starting <c>portal.</c>.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    public HealthcheckSpec? Healthcheck { get; init; }

    public IReadOnlyList<DependencySpec>? DependsOn { get; init; }

    /// <summary>An app on a Slurm cluster only: how many of the job's GPUs this service gets. Slurm picks them; the
    /// batch script hands them out in start order, each to one service (<c>run.gpus</c> stays empty there).</summary>
    public int? GpuCount { get; init; }
}

/// <summary>A named app volume mounted into a service.</summary>
public sealed record AppVolumeMountSpec
{
    public required string Volume { get; init; }

    public required string Target { get; init; }

    public bool ReadOnly { get; init; }
}

/// <summary>
/// A health check: <see cref="Test"/> is <c>["CMD", program, args...]</c> or <c>["CMD-SHELL", command]</c>. The
/// launcher runs it itself (<c>podman healthcheck run</c>) while a dependent service waits.
/// </summary>
public sealed record HealthcheckSpec
{
    public required IReadOnlyList<string> Test { get; init; }

    public int IntervalSeconds { get; init; } = 30;

    public int TimeoutSeconds { get; init; } = 30;

    public int StartPeriodSeconds { get; init; }

    public int Retries { get; init; } = 3;
}

/// <summary>A service that must be started (or healthy) first.</summary>
public sealed record DependencySpec
{
    public required string Service { get; init; }

    /// <summary><c>started</c> or <c>healthy</c>.</summary>
    public required string Condition { get; init; }
}

/// <summary>Dependency conditions.</summary>
public static class DependencyConditions
{
    public const string Started = "started";
    public const string Healthy = "healthy";
}
