using Portal.Core.Gpus;

namespace Portal.Core.Tests.Gpus;

/// <summary>Every recorded capture, idle and under load, parses as nvidia-smi prints it (header and units).</summary>
public sealed class NvidiaSmiCaptureParsingTests
{
    private static readonly DateTimeOffset At = new(2026, 7, 14, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [MemberData(nameof(Captures.AllWithPhases), MemberType = typeof(Captures))]
    public void QueryGpu_with_header_and_units_gives_one_consistent_gpu(string capture, string phase)
    {
        var rows = NvidiaSmiGpuQuery.Parse(Captures.QueryGpu(capture, phase), hasHeader: true, At);

        var row = Assert.Single(rows);
        Assert.Equal(0, row.Index);
        Assert.Equal(1, row.GpuCount);
        Assert.StartsWith("GPU-", row.Uuid, StringComparison.Ordinal);
        Assert.Contains(row.Name, Captures.List(capture), StringComparison.Ordinal);
        Assert.NotNull(row.PciBusId);
        var sample = row.Sample;
        Assert.True(sample.MemoryTotalMiB > 0);
        Assert.InRange(sample.MemoryUsedMiB!.Value, 0, sample.MemoryTotalMiB!.Value);
        Assert.InRange(sample.TemperatureCelsius!.Value, 1, 120);
        Assert.InRange(sample.PowerDrawWatts!.Value, 1, 1000);
        // A GPU in MIG mode has no whole-GPU utilisation: nvidia-smi prints [N/A], which must become null.
        var isMig = capture.Contains("-mig_", StringComparison.Ordinal);
        Assert.Equal(isMig, sample.UtilizationPercent is null);
        Assert.Equal(At, sample.SampledAt);
    }

    [Theory]
    [MemberData(nameof(Captures.AllWithPhases), MemberType = typeof(Captures))]
    public void QueryComputeApps_with_header_and_units_lists_each_process(string capture, string phase)
    {
        var section = Captures.ComputeApps(capture, phase);
        var expectedRows = section.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1;

        var processes = NvidiaSmiComputeAppsQuery.Parse(section, hasHeader: true);

        Assert.Equal(expectedRows, processes.Count);
        Assert.All(processes, p =>
        {
            Assert.StartsWith("GPU-", p.GpuUuid, StringComparison.Ordinal);
            Assert.True(p.Pid > 0);
            Assert.True(p.UsedMemoryMiB > 0);
            Assert.NotEmpty(p.ProcessName);
        });
    }

    [Fact]
    public void Loaded_h100_reads_the_recorded_values()
    {
        var row = Assert.Single(NvidiaSmiGpuQuery.Parse(
            Captures.QueryGpu("linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt", "load"), hasHeader: true, At));

        Assert.Equal("NVIDIA H100 80GB HBM3", row.Name);
        Assert.Equal("00000000:00:09.0", row.PciBusId);
        Assert.Equal(100, row.Sample.UtilizationPercent);
        Assert.Equal(19818, row.Sample.MemoryUsedMiB);
        Assert.Equal(81559, row.Sample.MemoryTotalMiB);
        Assert.Equal(59, row.Sample.TemperatureCelsius);
        Assert.Equal(631.95, row.Sample.PowerDrawWatts);
    }

    [Fact]
    public void Loaded_h100_lists_its_three_processes()
    {
        var processes = NvidiaSmiComputeAppsQuery.Parse(
            Captures.ComputeApps("linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt", "load"), hasHeader: true);

        Assert.Equal([11327, 11328, 11345], processes.Select(p => p.Pid));
        Assert.Equal([2566L, 1542L, 15690L], processes.Select(p => p.UsedMemoryMiB!.Value));
        Assert.Equal("./gpu_burn", processes[2].ProcessName);
    }

    [Theory]
    [InlineData("linux-x86_64__nvidia-h100-mig__590.48.01.txt", new[] { "3g.40gb", "2g.20gb", "1g.10gb", "1g.10gb" })]
    [InlineData("linux-x86_64__nvidia-h200-mig__590.48.01.txt", new[] { "1c.3g.71gb", "2c.3g.71gb", "2g.35gb", "1g.18gb", "1g.18gb" })]
    public void List_output_names_every_mig_device(string capture, string[] profiles)
    {
        var migs = NvidiaSmiListParser.ParseMigDevices(Captures.List(capture));

        var (parent, devices) = Assert.Single(migs);
        Assert.Equal("GPU-00000000-0000-0000-0000-000000000000", parent);
        Assert.Equal(profiles, devices.Select(d => d.Profile));
        Assert.Equal(Enumerable.Range(0, profiles.Length), devices.Select(d => d.Index));
        Assert.All(devices, d =>
        {
            Assert.StartsWith("MIG-", d.Uuid, StringComparison.Ordinal);
            Assert.Equal(parent, d.ParentUuid);
        });
    }

    [Theory]
    [InlineData("3g.40gb", 40960L)]
    [InlineData("1c.3g.71gb", 72704L)]
    [InlineData("1g.10gb+me", 10240L)]
    [InlineData("7g.80gb", 81920L)]
    [InlineData("3g", null)]
    [InlineData("3g.40GB.bad", null)]
    public void A_mig_profile_names_its_nominal_memory_or_none(string profile, long? mib)
    {
        var mig = new MigDevice("GPU-0", 0, "MIG-0", profile);

        Assert.Equal(mib, mig.NominalMemoryMiB);
        Assert.Equal($"NVIDIA H100 80GB HBM3 MIG {profile}", mig.NameOn("NVIDIA H100 80GB HBM3"));
    }

    [Theory]
    [MemberData(nameof(Captures.All), MemberType = typeof(Captures))]
    public void List_output_of_every_capture_names_one_gpu(string capture)
    {
        var migs = NvidiaSmiListParser.ParseMigDevices(Captures.List(capture));

        var (_, devices) = Assert.Single(migs);
        Assert.Equal(capture.Contains("-mig_", StringComparison.Ordinal), devices.Count > 0);
    }
}
