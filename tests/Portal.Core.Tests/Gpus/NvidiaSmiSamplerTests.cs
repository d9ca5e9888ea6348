using Portal.Core.Gpus;

namespace Portal.Core.Tests.Gpus;

/// <summary>The sampler against a fake nvidia-smi on its search path that replays the captures.</summary>
public sealed class NvidiaSmiSamplerTests
{
    [Theory]
    [MemberData(nameof(Captures.AllWithPhases), MemberType = typeof(Captures))]
    public async Task Every_capture_replayed_by_a_looping_nvidia_smi_is_sampled(string capture, string phase)
    {
        using var fake = FakeNvidiaSmi.FromCapture(capture, phase);
        await using var sampler = new NvidiaSmiSampler(SamplerWait.Options(fake.SearchPath), TimeProvider.System);

        sampler.Start();
        var snapshot = await SamplerWait.UntilAsync(sampler, s => s.Status == GpuDiscoveryStatus.Available);

        // The sampler read the nounits stream; the capture's own header-and-units CSV must say the same.
        var expected = Assert.Single(NvidiaSmiGpuQuery.Parse(Captures.QueryGpu(capture, phase), hasHeader: true, snapshot.TakenAt));
        var device = Assert.Single(snapshot.Devices);
        var sample = Assert.Single(snapshot.Samples);
        Assert.Equal(expected.Uuid, device.Uuid);
        Assert.Equal(expected.Name, device.Name);
        Assert.Equal(expected.Sample.MemoryTotalMiB, device.MemoryTotalMiB);
        Assert.Equal("/dev/nvidia0", device.DeviceNode);
        Assert.Equal(expected.Sample with { SampledAt = sample.SampledAt }, sample);
        Assert.Equal(capture.Contains("-mig_", StringComparison.Ordinal), device.MigDevices.Count > 0);
        Assert.Null(snapshot.Problem);
        Assert.Equal(1, sampler.ProcessStarts);
    }

    [Fact]
    public async Task Eight_captures_make_one_eight_gpu_box_in_index_order()
    {
        var captures = Captures.Names.ToList();
        Assert.Equal(8, captures.Count);
        var rows = new List<string>();
        var list = new System.Text.StringBuilder();
        for (var i = 0; i < captures.Count; i++)
        {
            var uuid = $"GPU-0000000{i}-0000-0000-0000-000000000000";
            rows.AddRange(Captures.ProjectNoUnits(
                Captures.QueryGpu(captures[i], "load"),
                NvidiaSmiGpuQuery.Fields,
                new Dictionary<string, string> { ["index"] = $"{i}", ["uuid"] = uuid, ["count"] = "8" }));
            list.Append(Captures.List(captures[i])
                .Replace("GPU 0:", $"GPU {i}:", StringComparison.Ordinal)
                .Replace("GPU-00000000-0000-0000-0000-000000000000", uuid, StringComparison.Ordinal));
        }

        using var fake = FakeNvidiaSmi.Create(rows, list.ToString());
        await using var sampler = new NvidiaSmiSampler(SamplerWait.Options(fake.SearchPath), TimeProvider.System);

        sampler.Start();
        var snapshot = await SamplerWait.UntilAsync(sampler, s => s.Status == GpuDiscoveryStatus.Available);

        Assert.Equal(Enumerable.Range(0, 8), snapshot.Devices.Select(d => d.Index));
        Assert.Equal(8, snapshot.Devices.Select(d => d.Uuid).Distinct().Count());
        Assert.Equal(snapshot.Devices.Select(d => d.Uuid), snapshot.Samples.Select(s => s.Uuid));
        Assert.Equal(9, snapshot.Devices.Sum(d => d.MigDevices.Count));
        Assert.All(snapshot.Devices, d => Assert.Equal($"/dev/nvidia{d.Index}", d.DeviceNode));
    }

    [Fact]
    public async Task A_box_without_nvidia_smi_reports_zero_gpus_and_keeps_working()
    {
        var empty = Directory.CreateTempSubdirectory("no-nvidia-smi-").FullName;
        try
        {
            await using var sampler = new NvidiaSmiSampler(SamplerWait.Options(empty), TimeProvider.System);

            sampler.Start();
            var snapshot = await SamplerWait.UntilAsync(sampler, s => s.Status != GpuDiscoveryStatus.Starting);
            var processes = await new NvidiaSmiProcessQuery(SamplerWait.Options(empty)).QueryAsync(CancellationToken.None);

            Assert.Equal(GpuDiscoveryStatus.NoDriver, snapshot.Status);
            Assert.Empty(snapshot.Devices);
            Assert.Empty(snapshot.Samples);
            Assert.Contains("No GPU detected", snapshot.Problem, StringComparison.Ordinal);
            Assert.Empty(processes);
            Assert.Equal(0, sampler.ProcessStarts);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    public async Task A_dying_nvidia_smi_is_restarted_with_backoff_and_its_error_is_reported()
    {
        using var fake = FakeNvidiaSmi.FromCapture("linux-x86_64__nvidia-h200__590.48.01.txt", "load", exitAfterOneRound: true);
        await using var sampler = new NvidiaSmiSampler(SamplerWait.Options(fake.SearchPath), TimeProvider.System);
        var failures = 0;
        var availableAfterFailure = 0;
        sampler.SnapshotPublished += (_, s) =>
        {
            if (s.Status == GpuDiscoveryStatus.Failing)
            {
                Interlocked.Increment(ref failures);
            }
            else if (s.Status == GpuDiscoveryStatus.Available && Volatile.Read(ref failures) > 0)
            {
                Interlocked.Increment(ref availableAfterFailure);
            }
        };

        sampler.Start();
        var failing = await SamplerWait.UntilAsync(
            sampler, s => s.Status == GpuDiscoveryStatus.Failing && sampler.ProcessStarts >= 3);

        Assert.Contains("exited with code 15", failing.Problem, StringComparison.Ordinal);
        Assert.Contains("GPU is lost", failing.Problem, StringComparison.Ordinal);
        // The last known inventory survives a crash so the GPU list does not flicker to empty.
        Assert.Single(failing.Devices);
        Assert.Empty(failing.Samples);
        Assert.True(Volatile.Read(ref availableAfterFailure) >= 1);
    }

    [Fact]
    public async Task A_hung_nvidia_smi_is_killed_after_the_command_timeout_and_retried()
    {
        using var fake = FakeNvidiaSmi.FromCapture("linux-x86_64__nvidia-l40s__595.80.txt", "idle", hangOnList: true);
        var options = SamplerWait.Options(fake.SearchPath);
        options.CommandTimeout = TimeSpan.FromMilliseconds(200);
        await using var sampler = new NvidiaSmiSampler(options, TimeProvider.System);

        sampler.Start();
        var failing = await SamplerWait.UntilAsync(sampler, s => s.Status == GpuDiscoveryStatus.Failing);

        Assert.Contains("did not finish within 0.2 s", failing.Problem, StringComparison.Ordinal);
        Assert.Empty(failing.Devices);
        Assert.Equal(0, sampler.ProcessStarts);
    }

    [Fact]
    public async Task Compute_processes_come_from_the_fake_without_units()
    {
        const string capture = "linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05.txt";
        using var fake = FakeNvidiaSmi.FromCapture(capture, "load");

        var processes = await new NvidiaSmiProcessQuery(SamplerWait.Options(fake.SearchPath)).QueryAsync(CancellationToken.None);

        Assert.Equal(NvidiaSmiComputeAppsQuery.Parse(Captures.ComputeApps(capture, "load"), hasHeader: true), processes);
        Assert.Equal([2165, 5022, 5021], processes.Select(p => p.Pid));
    }

    [Fact]
    public void Backoff_doubles_from_the_first_delay_up_to_the_cap()
    {
        var backoff = new ExponentialBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30));

        var delays = Enumerable.Range(1, 7).Select(backoff.DelayAfter).Select(d => d.TotalSeconds);

        Assert.Equal([1, 2, 4, 8, 16, 30, 30], delays);
        Assert.Equal(TimeSpan.FromSeconds(30), backoff.DelayAfter(10_000));
    }
}
