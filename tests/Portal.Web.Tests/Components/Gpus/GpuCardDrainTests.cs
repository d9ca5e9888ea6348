using Bunit;
using Portal.Web.Components.Gpus;
using Portal.Web.Services.Gpus;

namespace Portal.Web.Tests.Components.Gpus;

public sealed class GpuCardDrainTests : GpuComponentTest
{
    [Fact]
    public void Drained_gpu_says_so_with_who_and_why_next_to_its_holder()
    {
        var (device, sample) = GpuTestData.FromCapture(GpuCaptures.H100, "load");
        var holder = new GpuHolder("alice", 1001, 42, "train");

        var card = Render<GpuCard>(p => p.Add(c => c.Device, device).Add(c => c.Sample, sample)
            .Add(c => c.Holder, holder).Add(c => c.Drain, new GpuDrainNote("root-admin", "fan replacement")));

        Assert.Equal("Drained", card.Find(".gpu-drained").TextContent.Trim());
        Assert.Equal("Held by alice · job 42 (train)", card.Find(".gpu-holder").TextContent.Trim());
        Assert.Equal("Drained by root-admin: fan replacement. Running jobs finish; no new job is placed here.",
            card.Find(".gpu-drain-note").TextContent.Trim());
    }

    [Fact]
    public void Gpu_in_service_shows_no_drain_marker()
    {
        var (device, sample) = GpuTestData.FromCapture(GpuCaptures.L40S, "idle");

        var card = Render<GpuCard>(p => p.Add(c => c.Device, device).Add(c => c.Sample, sample));

        Assert.Empty(card.FindAll(".gpu-drained"));
        Assert.Empty(card.FindAll(".gpu-drain-note"));
    }

    [Fact]
    public void Holder_whose_account_is_unbound_still_owns_its_jobs_processes_and_flags_an_unknown_owner()
    {
        var (device, sample) = GpuTestData.FromCapture(GpuCaptures.L40S, "load");
        var holder = new GpuHolder("alice", null, 42, null);
        GpuProcessInfo[] processes =
        [
            new(100, "python", 500, 1001, "alice", 42),
            new(101, "miner", 500, null, null, null),
        ];

        var card = Render<GpuCard>(p => p.Add(c => c.Device, device).Add(c => c.Sample, sample)
            .Add(c => c.Holder, holder).Add(c => c.Processes, processes));

        var rows = card.FindAll("li.gpu-process");
        Assert.DoesNotContain("gpu-foreign", rows[0].ClassName, StringComparison.Ordinal);
        Assert.Contains("gpu-foreign", rows[1].ClassName, StringComparison.Ordinal);
        Assert.Equal("Not the holder's job", rows[1].QuerySelector(".gpu-flag")!.TextContent.Trim());
    }

    [Fact]
    public void Board_passes_the_drain_of_each_gpu_to_its_card()
    {
        var (device, sample) = GpuTestData.FromCapture(GpuCaptures.H100, "load");
        var occupancy = GpuOccupancy.None with { Drains = new Dictionary<string, GpuDrainNote> { [device.Uuid] = new("ops", null) } };
        var frame = GpuTestData.Frame(Portal.Core.Gpus.GpuDiscoveryStatus.Available, [(device, sample)], occupancy: occupancy);

        var board = Render<GpuBoard>(p => p.Add(b => b.Frame, frame));

        Assert.Equal("Drained by ops. Running jobs finish; no new job is placed here.", board.Find(".gpu-drain-note").TextContent.Trim());
    }
}
