using Microsoft.Extensions.Time.Testing;
using Portal.Core.Jobs;
using Portal.Core.Quotas;

namespace Portal.Core.Tests.Quotas;

public sealed class GpuAccountingTests
{
    private static readonly DateTimeOffset Midnight = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Usage_is_clipped_to_the_rolling_window_as_time_passes()
    {
        var clock = new FakeTimeProvider(Midnight);
        var window = TimeSpan.FromDays(7);
        // 2 GPUs for 10 hours, starting at midnight.
        GpuUsageInterval[] usage = [new("alice", 1, 2, Midnight, Midnight.AddHours(10))];

        clock.Advance(TimeSpan.FromHours(12));
        Assert.Equal(20 * 3600, GpuAccounting.GpuSecondsInWindow(usage, "alice", window, clock.GetUtcNow()));

        // Seven days after the start, the first 4 hours have left the window.
        clock.Advance(TimeSpan.FromDays(7) - TimeSpan.FromHours(8));
        Assert.Equal(Midnight.AddDays(7).AddHours(4), clock.GetUtcNow());
        Assert.Equal(2 * 6 * 3600, GpuAccounting.GpuSecondsInWindow(usage, "alice", window, clock.GetUtcNow()));

        // Exactly at the end of the interval plus the window, nothing is left: the window is half-open.
        clock.SetUtcNow(Midnight.AddHours(10) + window);
        Assert.Equal(0, GpuAccounting.GpuSecondsInWindow(usage, "alice", window, clock.GetUtcNow()));
    }

    [Fact]
    public void A_running_job_counts_up_to_now()
    {
        var clock = new FakeTimeProvider(Midnight);
        GpuUsageInterval[] usage = [new("bob", 2, 4, Midnight, End: null)];

        clock.Advance(TimeSpan.FromMinutes(90));

        Assert.Equal(4 * 90 * 60, GpuAccounting.GpuSecondsInWindow(usage, "bob", TimeSpan.FromDays(7), clock.GetUtcNow()));
    }

    [Fact]
    public void Usage_sums_per_owner_and_ignores_others()
    {
        GpuUsageInterval[] usage =
        [
            new("alice", 1, 1, Midnight, Midnight.AddHours(1)),
            new("alice", 2, 2, Midnight.AddHours(2), Midnight.AddHours(3)),
            new("bob", 3, 8, Midnight, Midnight.AddHours(5)),
            new("carol", 4, 1, Midnight.AddDays(-30), Midnight.AddDays(-29)),
        ];

        var byOwner = GpuAccounting.GpuSecondsByOwner(usage, Midnight.AddDays(-7), Midnight.AddDays(1));

        Assert.Equal(3 * 3600, byOwner["alice"]);
        Assert.Equal(40 * 3600, byOwner["bob"]);
        Assert.False(byOwner.ContainsKey("carol"));
    }

    [Fact]
    public void A_job_across_midnight_utc_is_split_between_the_two_days()
    {
        // 2 GPUs from 22:00 to 03:00 the next day: 2 h before midnight, 3 h after.
        GpuUsageInterval[] usage = [new("alice", 1, 2, Midnight.AddHours(-2), Midnight.AddHours(3))];

        var days = GpuAccounting.PerOwnerPerDay(usage, Midnight.AddDays(-1), Midnight.AddDays(1));

        Assert.Equal(
            [
                new DailyGpuUsage("alice", new DateOnly(2026, 11, 19), 2 * 2 * 3600),
                new DailyGpuUsage("alice", new DateOnly(2026, 11, 20), 2 * 3 * 3600),
            ],
            days);
    }

    [Fact]
    public void Days_are_utc_days_even_for_times_given_in_another_offset()
    {
        var start = new DateTimeOffset(2026, 11, 20, 1, 0, 0, TimeSpan.FromHours(2)); // 23:00 UTC on the 19th
        GpuUsageInterval[] usage = [new("alice", 1, 1, start, start.AddHours(2))];

        var days = GpuAccounting.PerOwnerPerDay(usage, Midnight.AddDays(-2), Midnight.AddDays(2));

        Assert.Equal([new DateOnly(2026, 11, 19), new DateOnly(2026, 11, 20)], days.Select(d => d.Day));
        Assert.All(days, d => Assert.Equal(3600, d.GpuSeconds));
    }

    [Fact]
    public void A_multi_day_job_has_a_full_day_in_the_middle()
    {
        GpuUsageInterval[] usage = [new("bob", 1, 1, Midnight.AddHours(12), Midnight.AddDays(2).AddHours(6))];

        var days = GpuAccounting.PerOwnerPerDay(usage, Midnight, Midnight.AddDays(3));

        Assert.Equal([12 * 3600.0, 24 * 3600.0, 6 * 3600.0], days.Select(d => d.GpuSeconds));
        Assert.Equal(usage[0].GpuSecondsWithin(Midnight, Midnight.AddDays(3)), days.Sum(d => d.GpuSeconds));
    }

    [Fact]
    public void Quota_usage_says_when_the_gpu_hours_are_used_up()
    {
        var quota = new EffectiveQuota(2, 4, 10, 10, TimeSpan.FromDays(7), TimeSpan.FromHours(24), 8, 32768);

        var under = new QuotaUsage(quota, RunningGpus: 1, RunningJobs: 1, QueuedJobs: 3, GpuSecondsInWindow: 9.5 * 3600);
        var at = under with { GpuSecondsInWindow = 10 * 3600 };

        Assert.False(under.GpuHoursExhausted);
        Assert.Equal(0.5, under.GpuHoursLeft, precision: 9);
        Assert.True(at.GpuHoursExhausted);
        Assert.Equal(0, at.GpuHoursLeft);
    }

    [Fact]
    public void A_job_yields_the_interval_accounting_needs()
    {
        var job = new Job(9, "alice", new JobSpec { Name = "j", Image = "busybox", Gpus = GpuRequest.Any(2), Walltime = TimeSpan.FromHours(1) }, Midnight);
        job.Start(["GPU-a", "GPU-b"], Midnight.AddMinutes(10));
        job.MarkRunning("c0ffee", Midnight.AddMinutes(10));
        job.Finish(0, Midnight.AddMinutes(40));

        Assert.Equal(new GpuUsageInterval("alice", 9, 2, Midnight.AddMinutes(10), Midnight.AddMinutes(40)), job.UsageInterval());
    }

    [Fact]
    public void A_users_page_usage_is_computed_from_their_jobs()
    {
        var clock = new FakeTimeProvider(Midnight);
        var quota = new EffectiveQuota(4, 4, 10, 100, TimeSpan.FromDays(1), TimeSpan.FromHours(24), 8, 32768);
        JobSpec Spec(int gpus) => new() { Name = "j", Image = "busybox", Gpus = GpuRequest.Any(gpus), Walltime = TimeSpan.FromHours(10) };
        var old = new Job(1, "alice", Spec(1), Midnight.AddDays(-3));
        old.Start(["GPU-a"], Midnight.AddDays(-3));
        old.MarkRunning("c1", Midnight.AddDays(-3));
        old.Finish(0, Midnight.AddDays(-3).AddHours(5));
        var running = new Job(2, "alice", Spec(2), Midnight);
        running.Start(["GPU-b", "GPU-c"], Midnight);
        var queued = new Job(3, "alice", Spec(1), Midnight);

        clock.Advance(TimeSpan.FromHours(3));
        var usage = QuotaUsage.Compute(quota, [old, running, queued], clock.GetUtcNow());

        Assert.Equal(new QuotaUsage(quota, RunningGpus: 2, RunningJobs: 1, QueuedJobs: 1, GpuSecondsInWindow: 2 * 3 * 3600), usage);
        Assert.Equal(94, usage.GpuHoursLeft);
    }
}
