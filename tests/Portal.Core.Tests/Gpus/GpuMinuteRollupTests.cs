using Portal.Core.Gpus;

namespace Portal.Core.Tests.Gpus;

public sealed class GpuMinuteRollupTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_minute_closes_with_mean_max_memory_and_counts_when_the_next_minute_starts()
    {
        var rollup = new GpuMinuteRollup(TimeSpan.FromSeconds(1));
        var closed = new List<GpuMinute>();

        closed.AddRange(rollup.Add(Snapshot(T0, ("GPU-a", 10, 100))));
        closed.AddRange(rollup.Add(Snapshot(T0.AddSeconds(30), ("GPU-a", 30, 300))));
        closed.AddRange(rollup.Add(Snapshot(T0.AddSeconds(59), ("GPU-a", null, 200))));
        Assert.Empty(closed);
        closed.AddRange(rollup.Add(Snapshot(T0.AddSeconds(60), ("GPU-a", 0, 0))));

        Assert.Equal(new GpuMinute("GPU-a", T0, 3, 60, 2, 20, 30, 300), Assert.Single(closed));
    }

    [Fact]
    public void A_shorter_period_makes_rows_of_that_length_with_the_readings_it_promises()
    {
        var rollup = new GpuMinuteRollup(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2));
        var closed = new List<GpuMinute>();

        foreach (var ms in new[] { 0, 250, 500, 1750, 2000 })
        {
            closed.AddRange(rollup.Add(Snapshot(T0.AddMilliseconds(ms), ("GPU-a", ms / 100, 1))));
        }

        Assert.Equal((TimeSpan.FromSeconds(2), 8), (rollup.Period, rollup.ExpectedPerRow));
        Assert.Equal(new GpuMinute("GPU-a", T0, 4, 8, 4, 6, 17, 1), Assert.Single(closed));
    }

    [Fact]
    public void Minutes_close_on_time_when_no_later_reading_comes()
    {
        var rollup = new GpuMinuteRollup(TimeSpan.FromSeconds(2));
        rollup.Add(Snapshot(T0.AddSeconds(5), ("GPU-a", 1, 1), ("GPU-b", 2, 2)));

        Assert.Empty(rollup.CloseCompleted(T0.AddSeconds(59)));
        var closed = rollup.CloseCompleted(T0.AddSeconds(61));

        Assert.Equal(["GPU-a", "GPU-b"], closed.Select(m => m.GpuUuid).Order());
        Assert.All(closed, m => Assert.Equal((1, 30), (m.Samples, m.ExpectedSamples)));
        Assert.Empty(rollup.Flush());
    }

    [Fact]
    public void A_reading_from_an_earlier_minute_after_a_clock_step_back_is_dropped()
    {
        var rollup = new GpuMinuteRollup(TimeSpan.FromSeconds(1));
        rollup.Add(Snapshot(T0.AddMinutes(1), ("GPU-a", 50, 1)));

        Assert.Empty(rollup.Add(Snapshot(T0.AddSeconds(10), ("GPU-a", 99, 1))));
        var minute = Assert.Single(rollup.Flush());

        Assert.Equal((T0.AddMinutes(1), 1, 50.0), (minute.Minute, minute.Samples, minute.UtilizationMax));
    }

    [Theory]
    [InlineData(1000, 60)]
    [InlineData(100, 600)]
    [InlineData(60_000, 1)]
    [InlineData(120_000, 1)]
    public void The_expected_readings_per_minute_follow_the_interval(int intervalMs, int expected)
    {
        Assert.Equal(expected, GpuMinuteRollup.ExpectedPerMinute(TimeSpan.FromMilliseconds(intervalMs)));
    }

    private static GpuSnapshot Snapshot(DateTimeOffset at, params (string Uuid, double? Util, long? Memory)[] gpus) =>
        new(GpuDiscoveryStatus.Available, [],
            gpus.Select((g, i) => new GpuSample(g.Uuid, i, g.Util, g.Memory, 1000, 40, 100, at)).ToList(), at, null);
}
