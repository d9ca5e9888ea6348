namespace Portal.Api.Contracts;

/// <summary>An app to review or queue: a compose file or a Kubernetes Pod (docs/apps.md).</summary>
public sealed record AppRequest
{
    /// <summary>The file's text, exactly as written.</summary>
    public string? File { get; init; }

    /// <summary>A short label (the job's name); the file's own name, else "app", when omitted.</summary>
    public string? Name { get; init; }

    /// <summary>The longest the whole app may run; 60 when omitted.</summary>
    public int? WalltimeMinutes { get; init; }
}

/// <summary>One reason a file was refused, at its line and key.</summary>
public sealed record AppProblemResponse(int Line, string Key, string Message);

/// <summary>One service as the portal understood it.</summary>
public sealed record AppServicePlanResponse(
    string Name,
    string Image,
    IReadOnlyList<string>? Entrypoint,
    IReadOnlyList<string>? Command,
    int Gpus,
    double Cpus,
    long MemoryMiB,
    IReadOnlyList<string> Mounts,
    IReadOnlyList<string> DependsOn,
    IReadOnlyList<int> Ports,
    bool HasHealthcheck);

/// <summary>What the portal understood from a file (services in start order), or every problem with it.</summary>
public sealed record AppReviewResponse(
    bool Valid,
    IReadOnlyList<AppProblemResponse> Problems,
    IReadOnlyList<AppServicePlanResponse> Services,
    IReadOnlyList<string> Volumes,
    string? WebFront,
    int Gpus,
    double Cpus,
    long MemoryMiB);

/// <summary>One service of a running (or ended) app.</summary>
public sealed record AppServiceStateResponse(string Service, string? State, int? ExitCode, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt);

/// <summary>An app: its job state and each service's container.</summary>
/// <param name="Id">The app's job.</param>
/// <param name="Name">The job's name.</param>
/// <param name="State">The job's state.</param>
/// <param name="Services">Each service's container.</param>
/// <param name="WebFront">The web front as <c>service:port</c>, when the file marks one.</param>
/// <param name="WebPath">Where the portal serves the web front to the app's owner while the app runs (<c>/s/&lt;id&gt;/</c>,
/// on the sessions' origin when one is set); null without a web front.</param>
public sealed record AppResponse(long Id, string Name, string State, IReadOnlyList<AppServiceStateResponse> Services,
    string? WebFront = null, string? WebPath = null);

/// <summary>What ran, as <c>podman kube generate</c> writes it.</summary>
public sealed record AppExportResponse(string Yaml);
