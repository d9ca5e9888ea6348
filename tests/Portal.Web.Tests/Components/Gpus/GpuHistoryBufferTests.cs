using Portal.Core.Gpus;
using Portal.Web.Services.Gpus;

namespace Portal.Web.Tests.Components.Gpus;

public sealed class GpuHistoryBufferTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    private static GpuSample Sample(double seconds, double? util, long? used = 40, long? total = 80) =>
        new("GPU-1", 0, util, used, total, 50, 200, T0.AddSeconds(seconds));

    [Fact]
    public void Samples_of_one_span_become_one_averaged_point_when_the_span_ends()
    {
        var buffer = new GpuHistoryBuffer(capacity: 10, TimeSpan.FromSeconds(10));

        Assert.False(buffer.Add(Sample(0, 10)));
        Assert.False(buffer.Add(Sample(5, 30)));
        Assert.False(buffer.Add(Sample(9, null)));
        Assert.Empty(buffer.Points);
        Assert.True(buffer.Add(Sample(10, 99)));

        var point = Assert.Single(buffer.Points);
        Assert.Equal(T0, point.At);
        Assert.Equal(20, point.UtilizationPercent);
        Assert.Equal(50, point.MemoryPercent);
    }

    [Fact]
    public void Memory_is_bounded_by_the_capacity_keeping_the_newest_points()
    {
        var buffer = new GpuHistoryBuffer(capacity: 3, TimeSpan.FromSeconds(1));

        for (var s = 0; s < 1000; s++)
        {
            buffer.Add(Sample(s, s));
        }

        Assert.Equal([996.0, 997.0, 998.0], buffer.Points.Select(p => p.UtilizationPercent!.Value));
    }

    [Fact]
    public void Points_list_is_replaced_not_changed_so_circuits_can_share_it()
    {
        var buffer = new GpuHistoryBuffer(capacity: 3, TimeSpan.FromSeconds(1));
        buffer.Add(Sample(0, 1));
        buffer.Add(Sample(1, 2));
        var before = buffer.Points;

        buffer.Add(Sample(1.5, 3));
        Assert.Same(before, buffer.Points);
        buffer.Add(Sample(2, 4));

        Assert.NotSame(before, buffer.Points);
        Assert.Single(before);
    }

    [Fact]
    public void Unknown_memory_total_gives_no_memory_percentage()
    {
        var buffer = new GpuHistoryBuffer(capacity: 3, TimeSpan.FromSeconds(1));
        buffer.Add(Sample(0, 1, used: 10, total: null));
        buffer.Add(Sample(1, 1));

        Assert.Null(Assert.Single(buffer.Points).MemoryPercent);
    }

    [Fact]
    public void Foreign_means_outside_the_holders_job_and_account()
    {
        var holder = new GpuHolder("alice", 1001, 7, null);

        Assert.True(GpuOccupancy.IsForeign(new GpuProcessInfo(1, "p", null, 1001, "alice", 7), null));
        Assert.False(GpuOccupancy.IsForeign(new GpuProcessInfo(1, "p", null, 1001, "alice", 7), holder));
        Assert.False(GpuOccupancy.IsForeign(new GpuProcessInfo(1, "p", null, 1001, "alice", null), holder));
        Assert.True(GpuOccupancy.IsForeign(new GpuProcessInfo(1, "p", null, 1002, "bob", null), holder));
        Assert.True(GpuOccupancy.IsForeign(new GpuProcessInfo(1, "p", null, null, null, null), holder));
    }
}
