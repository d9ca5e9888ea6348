using Portal.Core.Gpus;

namespace Portal.Web.Services.Gpus;

/// <summary>Everything the dashboard shows at one moment. Immutable and shared by every circuit.</summary>
/// <param name="Snapshot">The latest sampler reading (status, inventory, 1 Hz values).</param>
/// <param name="Occupancy">Holders and processes, refreshed every <see cref="GpuMonitorOptions.ProcessRefresh"/>.</param>
/// <param name="History">The averaged history per GPU UUID; an entry's list is replaced (not changed) when it grows.</param>
public sealed record GpuDashboardFrame(
    GpuSnapshot Snapshot,
    GpuOccupancy Occupancy,
    IReadOnlyDictionary<string, IReadOnlyList<GpuHistoryPoint>> History)
{
    public IReadOnlyList<GpuHistoryPoint> HistoryOf(string uuid) => History.GetValueOrDefault(uuid) ?? [];

    /// <summary>The sample of <paramref name="uuid"/> in this reading, or null (e.g. while nvidia-smi restarts).</summary>
    public GpuSample? SampleOf(string uuid)
    {
        foreach (var sample in Snapshot.Samples)
        {
            if (sample.Uuid == uuid)
            {
                return sample;
            }
        }

        return null;
    }
}
