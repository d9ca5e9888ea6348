using System.Globalization;
using Portal.Core.Gpus;

namespace Portal.Core.Tests.Gpus;

/// <summary>
/// The sampler and the process query replaying what a real H200 printed for the portal's own commands
/// (TestData/nvidia-smi-live, recorded by bench/gpu-host/run.sh), idle and under a CUDA load.
/// </summary>
public sealed class LiveH200CaptureTests
{
    private const string Uuid = "GPU-f003b975-272f-9fc2-7738-45974397b6a9";

    [Theory]
    [InlineData("idle", 0L, 0.0, 121.74)]
    [InlineData("loaded", 1011L, 95.0, 293.92)]
    public async Task The_sampler_reads_the_live_h200_rows(string phase, long memoryUsed, double utilization, double power)
    {
        var capture = Read(phase);
        using var fake = FakeNvidiaSmi.Create(Lines(Section(capture, "--query-gpu=")), Section(capture, "-L"));
        await using var sampler = new NvidiaSmiSampler(SamplerWait.Options(fake.SearchPath), TimeProvider.System);

        sampler.Start();
        var snapshot = await SamplerWait.UntilAsync(sampler, s => s.Status == GpuDiscoveryStatus.Available);

        var device = Assert.Single(snapshot.Devices);
        var sample = Assert.Single(snapshot.Samples);
        Assert.Equal((0, Uuid, "NVIDIA H200", 143771L, "00000000:00:06.0"),
            (device.Index, device.Uuid, device.Name, device.MemoryTotalMiB, device.PciBusId));
        Assert.Empty(device.MigDevices);
        Assert.Equal((memoryUsed, utilization, power), (sample.MemoryUsedMiB, sample.UtilizationPercent, sample.PowerDrawWatts));
    }

    [Fact]
    public async Task The_process_query_reads_the_live_compute_app()
    {
        var capture = Read("loaded");
        using var fake = FakeNvidiaSmi.Create(Lines(Section(capture, "--query-gpu=")), Section(capture, "-L"),
            Lines(Section(capture, "--query-compute-apps=")));

        var processes = await new NvidiaSmiProcessQuery(SamplerWait.Options(fake.SearchPath)).QueryAsync(CancellationToken.None);

        Assert.Equal(new GpuProcess(Uuid, 462, "/opt/torch/.venv/bin/python3", 1002), Assert.Single(processes));
    }

    [Fact]
    public async Task The_idle_capture_has_no_compute_apps()
    {
        var capture = Read("idle");
        using var fake = FakeNvidiaSmi.Create(Lines(Section(capture, "--query-gpu=")), Section(capture, "-L"),
            Lines(Section(capture, "--query-compute-apps=")));

        Assert.Empty(await new NvidiaSmiProcessQuery(SamplerWait.Options(fake.SearchPath)).QueryAsync(CancellationToken.None));
    }

    private static string Read(string phase) => File.ReadAllText(Path.Combine(
        AppContext.BaseDirectory, "TestData", "nvidia-smi-live", string.Create(CultureInfo.InvariantCulture, $"nvidia-h200__580.159.04__{phase}.txt")));

    /// <summary>The output under the <c># ... $ nvidia-smi ARGS</c> line whose arguments start with <paramref name="arguments"/>,
    /// up to the blank line that ends it.</summary>
    private static string Section(string capture, string arguments)
    {
        var lines = capture.Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith('#') && l.Contains("$ nvidia-smi " + arguments, StringComparison.Ordinal));
        Assert.True(start >= 0, "no section for nvidia-smi " + arguments);
        return string.Join('\n', lines.Skip(start + 1).TakeWhile(l => l.Length > 0)) + "\n";
    }

    private static string[] Lines(string section) => section.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
