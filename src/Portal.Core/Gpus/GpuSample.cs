namespace Portal.Core.Gpus;

/// <summary>One reading of one GPU's live metrics. Null means the driver reported the value as unavailable
/// (<c>[N/A]</c>, <c>[Not Supported]</c>), which is normal: MIG-enabled GPUs report no utilisation, for example.</summary>
public sealed record GpuSample(
    string Uuid,
    int Index,
    double? UtilizationPercent,
    long? MemoryUsedMiB,
    long? MemoryTotalMiB,
    double? TemperatureCelsius,
    double? PowerDrawWatts,
    DateTimeOffset SampledAt);
