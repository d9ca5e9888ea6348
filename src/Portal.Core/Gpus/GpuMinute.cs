namespace Portal.Core.Gpus;

/// <summary>
/// One GPU over one wall-clock minute, rolled up from the 1 Hz sampler: what idle reclaim judges and the job page
/// draws. <see cref="Samples"/> against <see cref="ExpectedSamples"/> is the coverage, so a sampler outage shows as
/// missing data, never as an idle GPU.
/// </summary>
/// <param name="GpuUuid">The GPU.</param>
/// <param name="Minute">The start of the minute (UTC, whole minute).</param>
/// <param name="Samples">Readings of this GPU in the minute.</param>
/// <param name="ExpectedSamples">Readings the sampler's interval promises per minute (60 at 1 Hz).</param>
/// <param name="UtilizationSamples">Readings that carried a utilisation value (MIG-enabled GPUs report none).</param>
/// <param name="UtilizationMean">The mean utilisation over those readings, or null when there were none.</param>
/// <param name="UtilizationMax">The highest utilisation read, or null when there were none.</param>
/// <param name="MemoryUsedMaxMiB">The most memory in use, or null when the driver did not say.</param>
public sealed record GpuMinute(
    string GpuUuid,
    DateTimeOffset Minute,
    int Samples,
    int ExpectedSamples,
    int UtilizationSamples,
    double? UtilizationMean,
    double? UtilizationMax,
    long? MemoryUsedMaxMiB);
