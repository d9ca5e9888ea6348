using Microsoft.Extensions.Time.Testing;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;

namespace Portal.Core.Tests.Scheduling;

public sealed class SchedulerOrderingTests
{
    private static readonly Scheduler Scheduler = new(new FakeTimeProvider(SnapshotBuilder.Now));

    private static long[] StartedIds(SchedulingPlan plan) => plan.Starts.Select(s => s.JobId).ToArray();

    /// <summary>The rank order as one GPU shows it: the first job starts, the second gets the reservation
    /// (Resources), everyone after it waits behind it (Priority).</summary>
    private static long[] RankOnOneGpu(Scheduler scheduler, SchedulingSnapshot snapshot)
    {
        var plan = scheduler.Plan(snapshot);
        var reserved = plan.PendingReasons.Where(p => p.Value == PendingReason.Resources).Select(p => p.Key);
        var behind = plan.PendingReasons.Where(p => p.Value == PendingReason.Priority).Select(p => p.Key).Order();
        return [.. StartedIds(plan), .. reserved, .. behind];
    }

    [Fact]
    public void Fair_share_puts_the_user_with_fewer_recent_gpu_hours_first()
    {
        var snapshot = new SnapshotBuilder().Gpus(1)
            .UsedGpuHours("alice", 10)
            .Queue(1, "alice", 1, waitedHours: 0.5, priority: 5)
            .Queue(2, "bob", 1, waitedHours: 0.1)
            .Build();

        var plan = Scheduler.Plan(snapshot);

        Assert.Equal([2L], StartedIds(plan));
        Assert.Equal(PendingReason.Resources, plan.PendingReasons[1]);
    }

    [Fact]
    public void Usage_within_one_fair_share_step_ties_and_priority_decides()
    {
        var snapshot = new SnapshotBuilder().Gpus(1)
            .UsedGpuHours("alice", 0.9)
            .UsedGpuHours("bob", 0.1)
            .Queue(1, "bob", 1, waitedHours: 0.5)
            .Queue(2, "alice", 1, waitedHours: 0.1, priority: 3)
            .Build();

        Assert.Equal([2L], StartedIds(Scheduler.Plan(snapshot)));
    }

    [Fact]
    public void With_equal_share_and_priority_the_older_job_goes_first()
    {
        var snapshot = new SnapshotBuilder().Gpus(1)
            .Queue(7, "alice", 1, waitedHours: 0.2)
            .Queue(3, "bob", 1, waitedHours: 0.7)
            .Build();

        Assert.Equal([3L, 7L], RankOnOneGpu(Scheduler, snapshot));
    }

    [Fact]
    public void Aging_lets_a_long_waiting_job_overtake_a_higher_base_priority()
    {
        // Priority 0 that waited 5 h ages to 5; priority 3 submitted just now stays at 3.
        var snapshot = new SnapshotBuilder().Gpus(1)
            .Queue(1, "alice", 1, waitedHours: 0)
            .Queue(2, "bob", 1, waitedHours: 0, priority: 3)
            .Queue(3, "carol", 1, waitedHours: 5)
            .Build();

        Assert.Equal([3L, 2L, 1L], RankOnOneGpu(Scheduler, snapshot));
    }

    [Fact]
    public void Aging_is_capped_so_priority_still_means_something()
    {
        var scheduler = new Scheduler(new FakeTimeProvider(SnapshotBuilder.Now), new SchedulerOptions { MaxAgingBoost = 2 });
        var snapshot = new SnapshotBuilder().Gpus(1)
            .Queue(1, "alice", 1, waitedHours: 30)
            .Queue(2, "bob", 1, waitedHours: 0, priority: 3)
            .Build();

        Assert.Equal([2L, 1L], RankOnOneGpu(scheduler, snapshot));
    }

    [Fact]
    public void A_starving_job_of_a_heavy_user_goes_ahead_of_fair_share()
    {
        var clock = new FakeTimeProvider(SnapshotBuilder.Now);
        var scheduler = new Scheduler(clock, new SchedulerOptions { StarvationAge = TimeSpan.FromHours(48) });
        var snapshot = new SnapshotBuilder().Gpus(1)
            .UsedGpuHours("heavy", 500)
            .Queue(1, "heavy", 1, waitedHours: 47.5)
            .Queue(2, "light", 1, waitedHours: 0)
            .Build();

        Assert.Equal([2L], StartedIds(scheduler.Plan(snapshot)));

        clock.Advance(TimeSpan.FromHours(0.5));
        Assert.Equal([1L], StartedIds(scheduler.Plan(snapshot)));
    }

    [Fact]
    public void The_same_snapshot_gives_the_same_plan_whatever_the_input_order()
    {
        var builder = new SnapshotBuilder().Gpus(4).Run(100, "alice", [0], walltimeHours: 2);
        for (var i = 1; i <= 20; i++)
        {
            builder.Queue(i, $"user{i % 5}", 1 + (i % 3), waitedHours: i % 4);
        }

        var snapshot = builder.Build();
        var shuffled = snapshot with { Queued = snapshot.Queued.Reverse().ToList() };

        var first = Scheduler.Plan(snapshot);
        var second = Scheduler.Plan(shuffled);

        Assert.Equal(first.Starts.Select(s => (s.JobId, string.Join(',', s.GpuUuids))), second.Starts.Select(s => (s.JobId, string.Join(',', s.GpuUuids))));
        Assert.Equal(first.PendingReasons.OrderBy(p => p.Key), second.PendingReasons.OrderBy(p => p.Key));
    }
}
