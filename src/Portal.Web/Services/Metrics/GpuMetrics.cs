using System.Diagnostics.Metrics;
using Portal.Core.Gpus;
using Portal.Jobs;
using Portal.Web.Services.Gpus;

namespace Portal.Web.Services.Metrics;

/// <summary>
/// GPU utilization and memory per GPU (the monitor's latest reading) and per user: a GPU is held by one job at a time
/// (the ledger), so its utilization and memory count for the user whose job holds it.
/// </summary>
public sealed class GpuMetrics
{
    public const string MeterName = "Portal.Gpus";
    private const double BytesPerMiB = 1024 * 1024;

    private readonly GpuMonitor _monitor;
    private readonly JobMetrics _jobs;

    public GpuMetrics(IMeterFactory meterFactory, GpuMonitor monitor, JobMetrics jobs)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _monitor = monitor;
        _jobs = jobs;
        Meter meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("portal.gpu.utilization", () => PerGpu(s => s.UtilizationPercent), "%", "GPU utilization per GPU.");
        meter.CreateObservableGauge("portal.gpu.memory.used", () => PerGpu(s => s.MemoryUsedMiB * BytesPerMiB), "By", "GPU memory in use per GPU.");
        meter.CreateObservableGauge("portal.gpu.memory.total", () => PerGpu(s => s.MemoryTotalMiB * BytesPerMiB), "By", "GPU memory per GPU.");
        meter.CreateObservableGauge("portal.user.gpus", PerUserHeld, "{gpu}", "GPUs held by each user's jobs (the ledger).");
        meter.CreateObservableGauge("portal.user.gpu.utilization", () => PerUser(s => s.UtilizationPercent), "%",
            "Summed utilization of the GPUs each user's jobs hold.");
        meter.CreateObservableGauge("portal.user.gpu.memory.used", () => PerUser(s => s.MemoryUsedMiB * BytesPerMiB), "By",
            "GPU memory in use on the GPUs each user's jobs hold.");
    }

    private IEnumerable<Measurement<double>> PerGpu(Func<GpuSample, double?> value)
    {
        foreach (GpuSample sample in _monitor.Current.Snapshot.Samples)
        {
            if (value(sample) is { } v)
            {
                yield return new Measurement<double>(v,
                    new KeyValuePair<string, object?>("gpu", sample.Uuid), new KeyValuePair<string, object?>("index", sample.Index));
            }
        }
    }

    private IEnumerable<Measurement<long>> PerUserHeld() =>
        _jobs.Stats.GpuHolders.GroupBy(h => h.Value, StringComparer.Ordinal)
            .Select(g => new Measurement<long>(g.Count(), new KeyValuePair<string, object?>("user", g.Key)));

    private IEnumerable<Measurement<double>> PerUser(Func<GpuSample, double?> value)
    {
        IReadOnlyDictionary<string, string> holders = _jobs.Stats.GpuHolders;
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (GpuSample sample in _monitor.Current.Snapshot.Samples)
        {
            if (holders.TryGetValue(sample.Uuid, out string? user) && value(sample) is { } v)
            {
                sums[user] = sums.GetValueOrDefault(user) + v;
            }
        }

        return sums.Select(s => new Measurement<double>(s.Value, new KeyValuePair<string, object?>("user", s.Key)));
    }
}
