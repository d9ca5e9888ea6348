namespace Portal.Core.Apps;

/// <summary>Which kind of file an app came from.</summary>
public enum AppFileKind
{
    /// <summary>A compose file (the <c>services</c> subset; see docs/apps.md).</summary>
    Compose,

    /// <summary>A Kubernetes <c>Pod</c>.</summary>
    KubePod,
}

/// <summary>
/// What the portal understood from an app file: strict, typed, with nothing left to interpret. The launcher builds the
/// pod from this (through its own request), never from the file.
/// </summary>
public sealed record AppSpec
{
    /// <summary>The kind of file it came from.</summary>
    public required AppFileKind Kind { get; init; }

    /// <summary>The name the file gives the app (compose <c>name</c>, kube <c>metadata.name</c>), if any.</summary>
    public string? Name { get; init; }

    /// <summary>The services in start order: each comes after every service it depends on.</summary>
    public required IReadOnlyList<AppService> Services { get; init; }

    /// <summary>Named app volumes, created for the app and removed with it.</summary>
    public IReadOnlyList<string> Volumes { get; init; } = [];

    /// <summary>The service served through the portal, if one is marked.</summary>
    public AppWebFront? WebFront { get; init; }

    /// <summary>GPUs of all services together.</summary>
    public int TotalGpus => Services.Sum(s => s.Gpus);
}

/// <summary>One container of the app.</summary>
public sealed record AppService
{
    /// <summary>The service name: also its host name inside the app (resolves to 127.0.0.1).</summary>
    public required string Name { get; init; }

    /// <summary>The line the service starts on.</summary>
    public required int Line { get; init; }

    /// <summary>A local image reference; never pulled.</summary>
    public required string Image { get; init; }

    /// <summary>Replaces the image's entrypoint when set (argv items).</summary>
    public IReadOnlyList<string>? Entrypoint { get; init; }

    /// <summary>Replaces the image's command when set (argv items).</summary>
    public IReadOnlyList<string>? Command { get; init; }

    /// <summary>Environment variables, literal (nothing is interpolated from any host environment).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The working directory inside the container, or null for the image's.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Host folders mounted in; each must lie under the owner's allowed roots (checked again, as the owner, by the launcher).</summary>
    public IReadOnlyList<AppBind> Binds { get; init; } = [];

    /// <summary>Named app volumes mounted in.</summary>
    public IReadOnlyList<AppVolumeMount> Volumes { get; init; } = [];

    /// <summary>Services that must be started (or healthy) before this one.</summary>
    public IReadOnlyList<AppDependency> DependsOn { get; init; } = [];

    /// <summary>The health check podman runs, if any.</summary>
    public AppHealthcheck? Healthcheck { get; init; }

    /// <summary>CPU limit in cores, or null for the portal's default per service.</summary>
    public double? Cpus { get; init; }

    /// <summary>Memory limit in MiB, or null for the portal's default per service.</summary>
    public long? MemoryMiB { get; init; }

    /// <summary>How many GPUs the service gets (each GPU goes to exactly one service).</summary>
    public int Gpus { get; init; }

    /// <summary>Container ports the service listens on: documentation only, nothing is published.</summary>
    public IReadOnlyList<int> Ports { get; init; } = [];

    /// <summary>Labels for the container (none starting <c>portal.</c>).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>The line of each key the service sets, to point value problems at the file.</summary>
    public IReadOnlyDictionary<string, int> KeyLines { get; init; } = new Dictionary<string, int>();

    /// <summary>The line of <paramref name="key"/> in this service, or the service's own line.</summary>
    public int LineOf(string key) => KeyLines.TryGetValue(key, out var line) ? line : Line;
}

/// <summary>A host folder mounted into a service.</summary>
public sealed record AppBind(string Source, string Target, bool ReadOnly, int Line);

/// <summary>A named app volume mounted into a service.</summary>
public sealed record AppVolumeMount(string Volume, string Target, bool ReadOnly, int Line);

/// <summary>What a service waits for before it starts.</summary>
public enum AppDependencyCondition
{
    /// <summary>The other service's container has been started.</summary>
    Started,

    /// <summary>The other service's health check has passed.</summary>
    Healthy,
}

/// <summary>A start-order dependency.</summary>
public sealed record AppDependency(string Service, AppDependencyCondition Condition, int Line);

/// <summary>
/// A health check: <see cref="Test"/> is <c>["CMD", argv...]</c> or <c>["CMD-SHELL", "command"]</c>, as compose
/// writes it; the launcher runs it through podman until it passes or the service counts as failed.
/// </summary>
public sealed record AppHealthcheck(IReadOnlyList<string> Test, TimeSpan Interval, TimeSpan Timeout, TimeSpan StartPeriod, int Retries);

/// <summary>The service served through the portal, and the port it listens on inside the app.</summary>
public sealed record AppWebFront(string Service, int Port);
