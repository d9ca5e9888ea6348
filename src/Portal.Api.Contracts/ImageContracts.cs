namespace Portal.Api.Contracts;

/// <summary>One of your jobs that names an image; state as in <see cref="JobStates"/>.</summary>
public sealed record ImageJobResponse(long Id, string Name, string State);

/// <summary>An image in your own storage. <see cref="SizeBytes"/> counts the layers it shares with other images too.</summary>
public sealed record ImageResponse(
    string Id,
    IReadOnlyList<string> Names,
    long? SizeBytes,
    DateTimeOffset? Created,
    IReadOnlyList<ImageJobResponse> UsedBy);

/// <summary>
/// Your images, newest first, with their disk use (the sum of their sizes: an upper bound, see docs/images.md) against
/// your limit (null: none); while <see cref="OverLimit"/> every pull is refused. <see cref="Registries"/>: where pulls
/// may come from.
/// </summary>
public sealed record ImageListResponse(
    IReadOnlyList<ImageResponse> Images,
    long UseBytes,
    long? LimitBytes,
    bool OverLimit,
    IReadOnlyList<string> Registries);

/// <summary>A pull: the reference names its registry in full, e.g. registry.example.org/team/tool:1.2.</summary>
public sealed record PullImageRequest
{
    public string? Reference { get; init; }
}

/// <summary>What a pull or remove did; <see cref="ImageId"/> after a pull. <see cref="OverLimit"/>: the images now take
/// your whole limit or more, so further pulls are refused until you remove some.</summary>
public sealed record ImageChangeResponse(string Reference, string? ImageId, string Message, bool OverLimit);
