using Microsoft.Extensions.Time.Testing;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;

namespace Portal.Core.Tests.Scheduling;

public sealed class SchedulerBackfillTests
{
    private static readonly Scheduler Scheduler = new(new FakeTimeProvider(SnapshotBuilder.Now));

    [Fact]
    public void A_short_job_backfills_reserved_gpus_but_a_long_one_waits_for_the_big_job()
    {
        // GPUs 0-1 busy for 2 more hours; 2-3 free. The 4-GPU job is first in line and cannot start.
        var snapshot = new SnapshotBuilder().Gpus(4)
            .Run(100, "zed", [0, 1], startedHoursAgo: 1, walltimeHours: 3)
            .Queue(1, "alice", 4, waitedHours: 3)
            .Queue(2, "bob", 1, waitedHours: 2, walltimeHours: 1.5)
            .Queue(3, "carol", 1, waitedHours: 1, walltimeHours: 5)
            .Build();

        var plan = Scheduler.Plan(snapshot);

        Assert.Equal(1, plan.Reservation!.JobId);
        Assert.Equal(SnapshotBuilder.Now.AddHours(2), plan.Reservation.StartsBy);
        Assert.Equal(Enumerable.Range(0, 4).Select(SnapshotBuilder.Uuid), plan.Reservation.GpuUuids.Order(StringComparer.Ordinal));
        var start = Assert.Single(plan.Starts);
        Assert.Equal(2, start.JobId);
        Assert.Equal(PendingReason.Resources, plan.PendingReasons[1]);
        Assert.Equal(PendingReason.Priority, plan.PendingReasons[3]);
    }

    [Fact]
    public void A_free_gpu_the_reservation_does_not_need_takes_a_job_of_any_length()
    {
        // GPUs 0-1 free up in 1 h; GPUs 2-3 are free. The 3-GPU job gets 0, 1 and one free GPU; the other free
        // GPU is not needed, so a 10-hour job may have it now.
        var snapshot = new SnapshotBuilder().Gpus(4)
            .Run(100, "zed", [0, 1], walltimeHours: 1)
            .Queue(1, "alice", 3, waitedHours: 3)
            .Queue(2, "bob", 1, waitedHours: 2, walltimeHours: 10)
            .Queue(3, "carol", 1, waitedHours: 1, walltimeHours: 10)
            .Build();

        var plan = Scheduler.Plan(snapshot);

        Assert.Equal(SnapshotBuilder.Now.AddHours(1), plan.Reservation!.StartsBy);
        Assert.Equal([SnapshotBuilder.Uuid(0), SnapshotBuilder.Uuid(1), SnapshotBuilder.Uuid(2)], plan.Reservation.GpuUuids);
        Assert.Equal(2, Assert.Single(plan.Starts).JobId);
        Assert.Equal([SnapshotBuilder.Uuid(3)], plan.Starts[0].GpuUuids);
        Assert.Equal(PendingReason.Priority, plan.PendingReasons[3]);
    }

    [Fact]
    public void Without_a_blocked_job_ahead_jobs_fill_gpus_in_order()
    {
        var snapshot = new SnapshotBuilder().Gpus(4)
            .Queue(1, "alice", 2, waitedHours: 3)
            .Queue(2, "bob", 1, waitedHours: 2)
            .Queue(3, "carol", 2, waitedHours: 1)
            .Build();

        var plan = Scheduler.Plan(snapshot);

        Assert.Equal([1L, 2L], plan.Starts.Select(s => s.JobId));
        Assert.Equal([SnapshotBuilder.Uuid(0), SnapshotBuilder.Uuid(1)], plan.Starts[0].GpuUuids);
        Assert.Equal([SnapshotBuilder.Uuid(2)], plan.Starts[1].GpuUuids);
        Assert.Equal(PendingReason.Resources, plan.PendingReasons[3]);
    }

    [Fact]
    public void A_cpu_only_job_starts_even_when_every_gpu_is_taken()
    {
        var snapshot = new SnapshotBuilder().Gpus(1)
            .Run(100, "zed", [0], walltimeHours: 5)
            .Queue(1, "alice", 1, waitedHours: 3)
            .Queue(2, "bob", 0, waitedHours: 1, walltimeHours: 24)
            .Build();

        var plan = Scheduler.Plan(snapshot);

        var start = Assert.Single(plan.Starts);
        Assert.Equal(2, start.JobId);
        Assert.Empty(start.GpuUuids);
    }

    [Fact]
    public void A_specific_gpu_request_gets_exactly_that_gpu_or_waits_for_it()
    {
        var snapshot = new SnapshotBuilder().Gpus(3)
            .Run(100, "zed", [1], walltimeHours: 2)
            .Queue(1, "admin", 1, waitedHours: 2, specific: [2])
            .Queue(2, "admin", 1, waitedHours: 1, specific: [1])
            .Build();

        var plan = Scheduler.Plan(snapshot);

        Assert.Equal([SnapshotBuilder.Uuid(2)], Assert.Single(plan.Starts).GpuUuids);
        Assert.Equal(PendingReason.Resources, plan.PendingReasons[2]);
        Assert.Equal([SnapshotBuilder.Uuid(1)], plan.Reservation!.GpuUuids);
        Assert.Equal(SnapshotBuilder.Now.AddHours(2), plan.Reservation.StartsBy);
    }

    [Fact]
    public void Jobs_past_their_walltime_are_listed_for_stopping()
    {
        var snapshot = new SnapshotBuilder().Gpus(2)
            .Run(100, "alice", [0], startedHoursAgo: 2, walltimeHours: 2)
            .Run(101, "bob", [1], startedHoursAgo: 1, walltimeHours: 2)
            .Build();

        Assert.Equal([100L], Scheduler.Plan(snapshot).WalltimeExceeded);
    }
}
