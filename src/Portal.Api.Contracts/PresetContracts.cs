namespace Portal.Api.Contracts;

/// <summary>
/// What a launch-form preset holds: the values it fills the form (or <c>portal submit --preset</c>) with. Every field is
/// optional; an omitted one keeps the form's default. A preset is never trusted: its values go through the same
/// validation and quota checks as typed values when the job is submitted, so a preset may hold what a submit would
/// refuse.
/// </summary>
public sealed record PresetValues
{
    /// <summary>The job name the form starts with.</summary>
    public string? JobName { get; init; }

    public string? Image { get; init; }

    /// <summary>The command as separate arguments.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    public string? WorkingDirectory { get; init; }

    public IReadOnlyList<MountRequest>? Mounts { get; init; }

    public int? Gpus { get; init; }

    public double? Cpus { get; init; }

    public long? MemoryMiB { get; init; }

    public int? WalltimeMinutes { get; init; }
}

/// <summary>A preset as a user sees it.</summary>
/// <param name="Name">The preset's name, unique among the owner's (or among the box-wide ones).</param>
/// <param name="BoxWide">True for one an administrator published for everyone (read-only to users).</param>
/// <param name="Shadowed">True for a box-wide preset hidden by the caller's own preset of the same name: by that
/// name the caller gets their own.</param>
/// <param name="Values">What it fills in.</param>
/// <param name="UpdatedAt">When it was last saved.</param>
public sealed record PresetResponse(string Name, bool BoxWide, bool Shadowed, PresetValues Values, DateTimeOffset UpdatedAt);

/// <summary>The caller's own presets and the box-wide ones, each group by name.</summary>
public sealed record PresetListResponse(IReadOnlyList<PresetResponse> Items);

/// <summary>A new name for one of the caller's presets.</summary>
public sealed record RenamePresetRequest(string? NewName);
