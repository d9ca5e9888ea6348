using System.Collections.Concurrent;
using System.Globalization;
using Portal.Core.Gpus;

namespace Portal.Bench.GpuHost;

/// <summary>
/// One watch of the host: the portal's long-lived sampler runs for the whole duration while the compute processes are
/// listed and attributed to their owners once a second, exactly as the portal does it.
/// </summary>
internal static class HostObservation
{
    public static async Task<CheckReport> RunAsync(CheckOptions options, TextWriter log)
    {
        var samplerOptions = new NvidiaSmiSamplerOptions { Interval = options.Interval };
        var snapshots = new ConcurrentQueue<GpuSnapshot>();
        var processes = new List<(GpuProcess Process, ProcessOwner? Owner)>();
        var resolver = new ProcessOwnerResolver();
        var query = new NvidiaSmiProcessQuery(samplerOptions);
        int processStarts;

        var sampler = new NvidiaSmiSampler(samplerOptions, TimeProvider.System);
        await using (sampler.ConfigureAwait(false))
        {
            sampler.SnapshotPublished += (_, snapshot) => snapshots.Enqueue(snapshot);
            sampler.Start();
            var until = DateTimeOffset.UtcNow + options.Duration;
            while (DateTimeOffset.UtcNow < until)
            {
                await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                await ListProcessesAsync(query, resolver, processes, log).ConfigureAwait(false);
                if (snapshots.LastOrDefault() is { } latest)
                {
                    await log.WriteLineAsync(Describe(latest)).ConfigureAwait(false);
                }
            }

            processStarts = sampler.ProcessStarts;
        }

        return new CheckReport(options, [.. snapshots], processes, processStarts, new CdiDetector().Detect());
    }

    private static async Task ListProcessesAsync(
        NvidiaSmiProcessQuery query, ProcessOwnerResolver resolver, List<(GpuProcess, ProcessOwner?)> seen, TextWriter log)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            foreach (var process in await query.QueryAsync(timeout.Token).ConfigureAwait(false))
            {
                var owner = resolver.Resolve(process.Pid);
                seen.Add((process, owner));
                await log.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"  process pid={process.Pid} name={process.ProcessName} gpu={process.GpuUuid} memMiB={process.UsedMemoryMiB} uid={owner?.Uid.ToString(CultureInfo.InvariantCulture) ?? "?"}")).ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException e)
        {
            await log.WriteLineAsync("  compute-apps query failed: " + e.Message).ConfigureAwait(false);
        }
    }

    private static string Describe(GpuSnapshot snapshot) =>
        string.Create(CultureInfo.InvariantCulture, $"{snapshot.TakenAt:HH:mm:ss.fff} {snapshot.Status} ") +
        string.Join("; ", snapshot.Samples.Select(s => string.Create(CultureInfo.InvariantCulture,
            $"gpu{s.Index} util={s.UtilizationPercent}% mem={s.MemoryUsedMiB}/{s.MemoryTotalMiB}MiB temp={s.TemperatureCelsius}C power={s.PowerDrawWatts}W")));
}
