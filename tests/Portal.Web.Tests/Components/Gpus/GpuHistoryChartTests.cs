using Bunit;
using Portal.Web.Components.Gpus;
using Portal.Web.Services.Gpus;

namespace Portal.Web.Tests.Components.Gpus;

public sealed class GpuHistoryChartTests : GpuComponentTest
{
    [Fact]
    public void Chart_redraws_when_a_history_point_closes_and_not_for_the_same_points()
    {
        GpuHistoryPoint[] first =
        [
            new(GpuTestData.At.AddSeconds(-20), 10, 20, 40, 100),
            new(GpuTestData.At.AddSeconds(-10), 30, 30, 50, 300),
        ];
        GpuHistoryPoint[] second = [.. first, new(GpuTestData.At, 80, 40, 60, 350)];

        var chart = Render<GpuHistoryChart>(p => p.Add(c => c.Points, first));
        var drawn = chart.Find(".gpu-line-util").GetAttribute("points");
        chart.Render(p => p.Add(c => c.Points, first));
        var renders = chart.RenderCount;
        chart.Render(p => p.Add(c => c.Points, second));

        Assert.Equal("0,90 600,70", drawn);
        Assert.Equal(3, chart.FindAll(".gpu-line-util")[0].GetAttribute("points")!.Split(' ').Length);
        Assert.Equal(renders + 1, chart.RenderCount);
        Assert.Contains("utilization averaged 40 %, peak 80 %", chart.Find("figcaption").TextContent, StringComparison.Ordinal);
        Assert.Equal(["Utilization %", "Memory %"], chart.FindAll(".gpu-history-legend li").Select(li => li.TextContent));
    }

    [Fact]
    public void Every_chart_of_the_same_points_shares_one_drawing()
    {
        GpuHistoryPoint[] points = [new(GpuTestData.At.AddSeconds(-10), 10, 20, 40, 100), new(GpuTestData.At, 50, 60, 40, 100)];

        var one = HistoryDrawing.Of(points, TimeSpan.FromHours(1));
        var other = HistoryDrawing.Of(points, TimeSpan.FromHours(1));

        Assert.Same(one, other);
        Assert.Same(one.Utilization, other.Utilization);
    }
}
