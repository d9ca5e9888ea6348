using System.Globalization;
using Portal.Core.Gpus;

namespace Portal.Bench.GpuHost;

/// <summary>What one watch saw, and the verdict on each expectation.</summary>
internal sealed class CheckReport(
    CheckOptions options,
    IReadOnlyList<GpuSnapshot> snapshots,
    IReadOnlyList<(GpuProcess Process, ProcessOwner? Owner)> processes,
    int samplerProcessStarts,
    CdiInventory cdi)
{
    /// <summary>Prints the inventory and one PASS/FAIL line per check; true when all passed.</summary>
    public bool Print(TextWriter output)
    {
        var last = snapshots.Count > 0 ? snapshots[^1] : null;
        output.WriteLine();
        foreach (var device in last?.Devices ?? [])
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"gpu{device.Index} {device.Uuid} '{device.Name}' {device.MemoryTotalMiB} MiB bus={device.PciBusId} node={device.DeviceNode} mig={device.MigDevices.Count}"));
        }

        output.WriteLine(cdi.HasNvidiaSpec
            ? "CDI: " + string.Join(", ", cdi.SpecFiles) + " names: " + string.Join(", ", cdi.DeviceNames.Order(StringComparer.Ordinal))
            : "CDI: no NVIDIA spec (jobs get device nodes)");

        var checks = Checks(last).ToList();
        foreach (var (passed, text) in checks)
        {
            output.WriteLine((passed ? "PASS " : "FAIL ") + text);
        }

        return checks.All(c => c.Passed);
    }

    private IEnumerable<(bool Passed, string Text)> Checks(GpuSnapshot? last)
    {
        yield return (last?.Status == GpuDiscoveryStatus.Available && last.Devices.Count > 0,
            $"the sampler sees GPUs (status {last?.Status.ToString() ?? "none"}, {last?.Devices.Count ?? 0} devices, problem: {last?.Problem ?? "none"})");

        var expected = (int)(options.Duration / options.Interval / 2);
        yield return (snapshots.Count >= expected,
            Invariant($"{snapshots.Count} complete rounds in {options.Duration.TotalSeconds} s at {options.Interval.TotalMilliseconds} ms (at least {expected} expected)"));

        yield return (samplerProcessStarts == 1,
            Invariant($"one long-lived nvidia-smi for the whole watch ({samplerProcessStarts} started)"));

        var nodes = last?.Devices.Select(d => d.DeviceNode).ToList() ?? [];
        yield return (nodes.Count > 0 && nodes.All(File.Exists),
            "every GPU's device node exists: " + string.Join(", ", nodes.Select(n => n + (File.Exists(n) ? "" : " (missing)"))));

        var allSamplesComplete = snapshots.Where(s => s.Status == GpuDiscoveryStatus.Available)
            .All(s => s.Samples.Count == s.Devices.Count && s.Samples.All(x => x.MemoryTotalMiB > 0));
        yield return (allSamplesComplete, "every round has one sample per GPU with its memory total");

        if (options.ExpectedProcessUid is { } uid)
        {
            var owned = processes.Where(p => p.Owner?.Uid == uid).Select(p => p.Process.Pid).Distinct().ToList();
            yield return (owned.Count > 0,
                Invariant($"a compute process of uid {uid} was attributed through /proc (pids: {string.Join(' ', owned)}; {processes.Count} process readings in all)"));
        }

        if (options.ExpectBusy)
        {
            var peak = snapshots.SelectMany(s => s.Samples).Max(s => s.UtilizationPercent) ?? 0;
            yield return (peak >= 50, Invariant($"the load shows as utilization (peak {peak}%)"));
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
