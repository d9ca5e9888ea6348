using Bunit;
using Portal.Core.Gpus;
using Portal.Web.Components.Gpus;
using Portal.Web.Services.Gpus;

namespace Portal.Web.Tests.Components.Gpus;

public sealed class GpuCardTests : GpuComponentTest
{
    [Fact]
    public void Free_gpu_shows_its_name_live_values_and_free()
    {
        var (device, sample) = GpuTestData.FromCapture(GpuCaptures.H100, "load");

        var card = Render<GpuCard>(p => p.Add(c => c.Device, device).Add(c => c.Sample, sample));

        Assert.Contains("NVIDIA H100 80GB HBM3", card.Find(".gpu-name").TextContent, StringComparison.Ordinal);
        Assert.Equal("Free", card.Find(".gpu-holder").TextContent.Trim());
        Assert.Equal(GpuFormat.Percent(sample.UtilizationPercent), card.Find(".gpu-util .gpu-value").TextContent);
        Assert.Equal(GpuFormat.Memory(sample.MemoryUsedMiB, sample.MemoryTotalMiB), card.Find(".gpu-memory .gpu-value").TextContent);
        Assert.Equal(GpuFormat.Celsius(sample.TemperatureCelsius), card.Find(".gpu-temperature .gpu-value").TextContent);
        Assert.Equal(GpuFormat.Watts(sample.PowerDrawWatts), card.Find(".gpu-power .gpu-value").TextContent);
        Assert.NotNull(sample.UtilizationPercent);
        var bars = card.FindAll("[role=progressbar]");
        Assert.Equal(["Utilization", "Memory used"], bars.Select(b => b.GetAttribute("aria-label")));
        Assert.Equal(GpuFormat.Whole(sample.UtilizationPercent.Value), bars[0].GetAttribute("aria-valuenow"));
        Assert.Equal(GpuFormat.BarWidth(sample.UtilizationPercent.Value), card.Find(".gpu-bar-util .gpu-bar-fill").GetAttribute("style"));
        Assert.Contains("No compute processes.", card.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public void Held_gpu_names_holder_and_job_and_flags_only_the_stranger_process()
    {
        var (device, sample) = GpuTestData.FromCapture(GpuCaptures.L40S, "load");
        var holder = new GpuHolder("alice", 1001, 42, "train-llm");
        GpuProcessInfo[] processes =
        [
            new(20037, "python", 538, 1001, "alice", 42),
            new(20038, "ffmpeg", 681, 1002, "bob", null),
        ];

        var card = Render<GpuCard>(p => p.Add(c => c.Device, device).Add(c => c.Sample, sample)
            .Add(c => c.Holder, holder).Add(c => c.Processes, processes));

        Assert.Equal("Held by alice · job 42 (train-llm)", card.Find(".gpu-holder").TextContent.Trim());
        var rows = card.FindAll("li.gpu-process");
        Assert.Equal(2, rows.Count);
        Assert.DoesNotContain("gpu-foreign", rows[0].ClassName, StringComparison.Ordinal);
        Assert.Contains("gpu-foreign", rows[1].ClassName, StringComparison.Ordinal);
        Assert.Equal("Not the holder's job", card.Find("li.gpu-foreign .gpu-flag").TextContent.Trim());
        Assert.Contains("bob (uid 1002)", rows[1].TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Process_on_a_free_gpu_is_flagged_as_outside_any_job()
    {
        var (device, sample) = GpuTestData.FromCapture(GpuCaptures.H100, "load");
        GpuProcessInfo[] processes = [new(11345, "./gpu_burn", 15690, null, null, null)];

        var card = Render<GpuCard>(p => p.Add(c => c.Device, device).Add(c => c.Sample, sample).Add(c => c.Processes, processes));

        Assert.Equal("Outside any job", card.Find("li.gpu-foreign .gpu-flag").TextContent.Trim());
        Assert.Contains("owner unknown", card.Find("li.gpu-foreign").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Mig_gpu_lists_its_instances_and_says_why_utilization_is_missing()
    {
        var (device, sample) = GpuTestData.FromCapture(GpuCaptures.H100Mig, "load");

        var card = Render<GpuCard>(p => p.Add(c => c.Device, device).Add(c => c.Sample, sample));

        Assert.Null(sample.UtilizationPercent);
        Assert.Equal("N/A", card.Find(".gpu-util .gpu-value").TextContent);
        Assert.Contains("not reported in MIG mode", card.Find(".gpu-util").TextContent, StringComparison.Ordinal);
        var profiles = card.FindAll(".gpu-mig .gpu-chip").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal(["3g.40gb", "2g.20gb", "1g.10gb", "1g.10gb"], profiles);
        Assert.Contains("MIG on, 4 instances", card.Find(".gpu-mig").TextContent, StringComparison.Ordinal);
    }

    [Fact]
    public void Mig_gpu_names_the_holder_of_each_instance_and_is_not_called_free_as_a_whole()
    {
        var (device, sample) = GpuTestData.FromCapture(GpuCaptures.H100Mig, "load");
        GpuHolder?[] holders = [null, new GpuHolder("alice", 1001, 7, "train"), null, null];

        var card = Render<GpuCard>(p => p.Add(c => c.Device, device).Add(c => c.Sample, sample).Add(c => c.MigHolders, holders));

        Assert.Equal("1 of 4 instances held", card.Find(".gpu-mig-held").TextContent.Trim());
        Assert.Empty(card.FindAll(".gpu-free"));
        var chips = card.FindAll(".gpu-mig .gpu-chip").Select(c => c.TextContent.Trim()).ToList();
        Assert.Equal(["3g.40gb", "2g.20gb · alice, job 7", "1g.10gb", "1g.10gb"], chips);
    }

    [Fact]
    public void Values_the_driver_does_not_report_read_NA_not_zero()
    {
        var (device, _) = GpuTestData.FromCapture(GpuCaptures.H100, "idle");
        var sample = new GpuSample(device.Uuid, 0, null, null, null, null, null, GpuTestData.At);

        var card = Render<GpuCard>(p => p.Add(c => c.Device, device with { MemoryTotalMiB = null }).Add(c => c.Sample, sample));

        foreach (var metric in new[] { "util", "memory", "temperature", "power" })
        {
            Assert.Equal("N/A", card.Find($".gpu-{metric} .gpu-value").TextContent);
        }

        Assert.Empty(card.FindAll("[role=progressbar]"));
    }

    [Fact]
    public void Bars_fill_to_their_value_within_0_to_100()
    {
        Assert.Equal("width: 37.5%", GpuFormat.BarWidth(37.46));
        Assert.Equal("width: 100%", GpuFormat.BarWidth(120));
        Assert.Equal("width: 0%", GpuFormat.BarWidth(-3));
        Assert.Equal("37", GpuFormat.Whole(37.46));
    }

    [Fact]
    public void Gpu_without_a_reading_says_so()
    {
        var (device, _) = GpuTestData.FromCapture(GpuCaptures.H100, "idle");

        var card = Render<GpuCard>(p => p.Add(c => c.Device, device));

        Assert.Equal("No reading right now.", card.Find(".gpu-novalue").TextContent);
    }

    [Fact]
    public void History_chart_appears_once_points_exist()
    {
        var (device, sample) = GpuTestData.FromCapture(GpuCaptures.H100, "load");
        GpuHistoryPoint[] history =
        [
            new(GpuTestData.At.AddSeconds(-20), 10, 20, 40, 100),
            new(GpuTestData.At.AddSeconds(-10), 90, 30, 50, 300),
        ];

        var empty = Render<GpuCard>(p => p.Add(c => c.Device, device).Add(c => c.Sample, sample));
        var charted = Render<GpuCard>(p => p.Add(c => c.Device, device).Add(c => c.Sample, sample).Add(c => c.History, history));

        Assert.Contains("Collecting history", empty.Find(".gpu-history").TextContent, StringComparison.Ordinal);
        Assert.NotEmpty(charted.FindAll(".gpu-history svg"));
        Assert.Contains("utilization averaged 50 %, peak 90 %", charted.Find(".gpu-history figcaption").TextContent, StringComparison.Ordinal);
    }
}
