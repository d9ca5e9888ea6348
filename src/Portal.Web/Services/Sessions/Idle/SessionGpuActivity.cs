using Microsoft.Extensions.Options;
using Portal.Web.Services.Gpus;

namespace Portal.Web.Services.Sessions.Idle;

/// <summary>
/// The GPU signal: the GPU monitor's own history (the dashboard's, averaged per
/// <see cref="GpuMonitorOptions.HistoryResolution"/>) and latest sample of each of a session's GPUs. A GPU the monitor
/// has no reading for gives no sign of use, like a session without GPUs.
/// </summary>
public sealed class SessionGpuActivity(GpuMonitor monitor, IOptions<GpuMonitorOptions> options)
{
    private readonly TimeSpan _resolution = options.Value.HistoryResolution;

    /// <summary>The last moment any of <paramref name="gpuUuids"/> was at or above <paramref name="thresholdPercent"/>,
    /// and whether one is now.</summary>
    public (DateTimeOffset? LastBusy, bool BusyNow) Read(IReadOnlyList<string> gpuUuids, double thresholdPercent)
    {
        ArgumentNullException.ThrowIfNull(gpuUuids);
        GpuDashboardFrame frame = monitor.Current;
        DateTimeOffset? last = null;
        bool now = false;
        foreach (string uuid in gpuUuids)
        {
            foreach (GpuHistoryPoint point in frame.HistoryOf(uuid))
            {
                // A point averages the span that starts at At: the GPU was in use until the span's end.
                if (point.UtilizationPercent >= thresholdPercent && (last is null || point.At + _resolution > last))
                {
                    last = point.At + _resolution;
                }
            }

            if (frame.SampleOf(uuid) is { UtilizationPercent: { } utilization } sample && utilization >= thresholdPercent)
            {
                now = true;
                last = last is null || sample.SampledAt > last ? sample.SampledAt : last;
            }
        }

        return (last, now);
    }
}
