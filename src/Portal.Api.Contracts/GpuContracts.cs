namespace Portal.Api.Contracts;

/// <summary>The GPUs of the box: inventory and drain flags from the ledger, live values from the driver.</summary>
/// <param name="Status">Whether the portal sees GPUs now: Starting, Available, NoDriver or Failing.</param>
/// <param name="Problem">Why not, when it does not.</param>
/// <param name="Gpus">Every present GPU by index.</param>
public sealed record GpuListResponse(string Status, string? Problem, IReadOnlyList<GpuResponse> Gpus);

/// <summary>One GPU. Live values are null when the driver does not report them (or no reading exists).</summary>
public sealed record GpuResponse(
    string Uuid,
    int Index,
    string Name,
    long? MemoryTotalMiB,
    bool Drained,
    string? DrainReason,
    double? UtilizationPercent,
    long? MemoryUsedMiB,
    double? TemperatureCelsius,
    double? PowerDrawWatts,
    DateTimeOffset? SampledAt,
    GpuHolderResponse? Holder,
    IReadOnlyList<GpuProcessResponse> Processes);

/// <summary>The job that holds a GPU in the ledger.</summary>
public sealed record GpuHolderResponse(long JobId, string Owner, string JobName);

/// <summary>A compute process the driver reports on a GPU.</summary>
public sealed record GpuProcessResponse(int Pid, string ProcessName, long? UsedMemoryMiB, string? Owner, long? JobId);

/// <summary>Why a GPU is drained (optional).</summary>
public sealed record DrainGpuRequest(string? Reason);
