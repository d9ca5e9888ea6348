using Portal.Core.Gpus;
using Portal.Web.Services.Gpus;

namespace Portal.Web.Tests.Components.Gpus;

/// <summary>Devices and samples parsed from the captures by the portal's own parser, as the sampler would publish them.</summary>
internal static class GpuTestData
{
    public static readonly DateTimeOffset At = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    public static (GpuDevice Device, GpuSample Sample) FromCapture(string capture, string phase, int index = 0)
    {
        var row = Assert.Single(NvidiaSmiGpuQuery.Parse(GpuCaptures.QueryGpu(capture, phase), hasHeader: true, At));
        var migs = NvidiaSmiListParser.ParseMigDevices(GpuCaptures.List(capture)).GetValueOrDefault(row.Uuid) ?? [];
        var uuid = GpuCaptures.Uuid(index);
        var device = row.ToDevice($"/dev/nvidia{index}", migs) with { Index = index, Uuid = uuid };
        return (device, row.Sample with { Index = index, Uuid = uuid });
    }

    public static GpuDashboardFrame Frame(
        GpuDiscoveryStatus status, IReadOnlyList<(GpuDevice Device, GpuSample Sample)> gpus, string? problem = null, GpuOccupancy? occupancy = null) =>
        new(
            new GpuSnapshot(status, gpus.Select(g => g.Device).ToList(), status == GpuDiscoveryStatus.Available ? gpus.Select(g => g.Sample).ToList() : [], At, problem),
            occupancy ?? GpuOccupancy.None,
            new Dictionary<string, IReadOnlyList<GpuHistoryPoint>>());
}
