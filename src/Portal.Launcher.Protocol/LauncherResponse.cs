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

    public ProvisionResult? Provisioned { get; init; }

    public IReadOnlyList<CheckItem>? Checks { get; init; }

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
}

public sealed record ImageInfo
{
    public required string Id { get; init; }

    public IReadOnlyList<string> Names { get; set; } = [];

    public long? Size { get; init; }

    public DateTimeOffset? Created { get; init; }
}

public sealed record ProvisionResult
{
    public required string User { get; init; }

    public required int Uid { get; init; }

    public required int Gid { get; init; }

    public required string Home { get; init; }

    public required long SubIdStart { get; init; }

    public required long SubIdCount { get; init; }

    /// <summary>False when the account already existed and was left as it was.</summary>
    public bool Created { get; init; }
}

/// <summary>One line of the <c>check</c> self-test.</summary>
public sealed record CheckItem
{
    public required string Name { get; init; }

    /// <summary>ok, warn or fail.</summary>
    public required string Status { get; init; }

    public required string Detail { get; init; }
}
