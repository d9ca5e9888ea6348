namespace Portal.Core.Gpus;

/// <summary>Whether the portal can see GPUs at all.</summary>
public enum GpuDiscoveryStatus
{
    /// <summary>No reading yet: the sampler has not started or is waiting for its first line.</summary>
    Starting,

    /// <summary>nvidia-smi runs and reports; the inventory may still be empty.</summary>
    Available,

    /// <summary>No nvidia-smi on the search path: a CPU-only box. Not an error.</summary>
    NoDriver,

    /// <summary>nvidia-smi exists but fails or died; the sampler is retrying with backoff.</summary>
    Failing,
}

/// <summary>The latest complete reading of every GPU on the box.</summary>
/// <param name="Status">Whether GPUs can be seen.</param>
/// <param name="Devices">The inventory, ordered by index. Empty on a CPU-only box.</param>
/// <param name="Samples">One sample per device, in the same order.</param>
/// <param name="TakenAt">When the portal received this reading.</param>
/// <param name="Problem">A short human-readable reason when <see cref="Status"/> is not <see cref="GpuDiscoveryStatus.Available"/>.</param>
public sealed record GpuSnapshot(
    GpuDiscoveryStatus Status,
    IReadOnlyList<GpuDevice> Devices,
    IReadOnlyList<GpuSample> Samples,
    DateTimeOffset TakenAt,
    string? Problem)
{
    /// <summary>A snapshot with no GPUs.</summary>
    public static GpuSnapshot Empty(GpuDiscoveryStatus status, DateTimeOffset at, string? problem) =>
        new(status, [], [], at, problem);
}
