using Bunit;
using Portal.Core.Gpus;
using Portal.Web.Components.Gpus;

namespace Portal.Web.Tests.Components.Gpus;

public sealed class GpuBoardTests : GpuComponentTest
{
    [Fact]
    public void Starting_shows_a_loading_indicator()
    {
        var board = Render<GpuBoard>(p => p.Add(b => b.Frame, GpuTestData.Frame(GpuDiscoveryStatus.Starting, [])));

        Assert.Equal("Looking for GPUs…", board.Find("[role=status]").TextContent.Trim());
        Assert.NotEmpty(board.FindAll(".spinner"));
        Assert.Empty(board.FindAll(".gpu-card"));
    }

    [Fact]
    public void No_driver_says_no_gpu_and_that_cpu_jobs_run()
    {
        var board = Render<GpuBoard>(p => p.Add(b => b.Frame,
            GpuTestData.Frame(GpuDiscoveryStatus.NoDriver, [], "No GPU detected: nvidia-smi is not installed.")));

        Assert.Contains("No GPU detected on this host: CPU-only jobs still run.", board.Find(".gpu-empty").TextContent, StringComparison.Ordinal);
        Assert.Empty(board.FindAll(".gpu-card"));
    }

    [Fact]
    public void Failing_shows_the_samplers_problem_and_keeps_the_last_inventory()
    {
        var gpu = GpuTestData.FromCapture(GpuCaptures.H100, "idle");
        const string Problem = "nvidia-smi --query-gpu exited with code 15: Unable to determine the device handle for GPU0000:83:00.0: GPU is lost.";

        var board = Render<GpuBoard>(p => p.Add(b => b.Frame, GpuTestData.Frame(GpuDiscoveryStatus.Failing, [gpu], Problem)));

        Assert.Equal(Problem, board.Find(".gpu-failing .gpu-problem").TextContent);
        Assert.Single(board.FindAll(".gpu-card"));
        Assert.Equal("No reading right now.", board.Find(".gpu-card .gpu-novalue").TextContent);
    }

    [Fact]
    public void Available_shows_one_card_per_gpu_in_index_order()
    {
        var h100 = GpuTestData.FromCapture(GpuCaptures.H100, "load", 0);
        var l40s = GpuTestData.FromCapture(GpuCaptures.L40S, "load", 1);

        var board = Render<GpuBoard>(p => p.Add(b => b.Frame, GpuTestData.Frame(GpuDiscoveryStatus.Available, [h100, l40s])));

        var names = board.FindAll(".gpu-card .gpu-name").Select(n => n.TextContent).ToList();
        Assert.Equal(["NVIDIA H100 80GB HBM3", "NVIDIA L40S"], names);
        Assert.Empty(board.FindAll(".gpu-state"));
    }

    [Fact]
    public void Process_listing_problem_is_shown_with_the_cards()
    {
        var gpu = GpuTestData.FromCapture(GpuCaptures.H100, "idle");
        var occupancy = Portal.Web.Services.Gpus.GpuOccupancy.None with { Problem = "Could not list the processes on the GPUs: timed out" };

        var board = Render<GpuBoard>(p => p.Add(b => b.Frame, GpuTestData.Frame(GpuDiscoveryStatus.Available, [gpu], occupancy: occupancy)));

        Assert.Contains("timed out", board.Find(".gpu-state").TextContent, StringComparison.Ordinal);
        Assert.Single(board.FindAll(".gpu-card"));
    }
}
