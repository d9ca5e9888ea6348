using Microsoft.Extensions.Time.Testing;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;

namespace Portal.Core.Tests.Scheduling;

public sealed class SchedulerBookingTests
{
    private static readonly Scheduler Scheduler = new(new FakeTimeProvider(SnapshotBuilder.Now));

    [Fact]
    public void Another_users_job_whose_walltime_would_reach_into_the_booking_is_not_started_on_the_booked_gpus()
    {
        // GPU 0 is booked for alice from 2 h on; GPU 1 is busy. Bob's 3-hour job would cross into the booking.
        var snapshot = new SnapshotBuilder().Gpus(2)
            .Run(100, "zed", [1], walltimeHours: 10)
            .Book("alice", [0], startsInHours: 2, endsInHours: 6)
            .Queue(1, "bob", 1, walltimeHours: 3)
            .Build();

        var plan = Scheduler.Plan(snapshot);

        Assert.Empty(plan.Starts);
        Assert.Equal(PendingReason.Booked, plan.PendingReasons[1]);
    }

    [Fact]
    public void Another_users_job_that_ends_before_the_booking_opens_may_use_the_booked_gpu()
    {
        var snapshot = new SnapshotBuilder().Gpus(1)
            .Book("alice", [0], startsInHours: 2, endsInHours: 6)
            .Queue(1, "bob", 1, walltimeHours: 2)
            .Build();

        var start = Assert.Single(Scheduler.Plan(snapshot).Starts);

        Assert.Equal((1L, SnapshotBuilder.Uuid(0)), (start.JobId, start.GpuUuids.Single()));
    }

    [Fact]
    public void Nobody_else_starts_on_a_booked_gpu_while_the_booking_is_in_force()
    {
        var snapshot = new SnapshotBuilder().Gpus(2)
            .Book("alice", [0, 1], startsInHours: -1, endsInHours: 1)
            .Queue(1, "bob", 1, walltimeHours: 0.25)
            .Build();

        var plan = Scheduler.Plan(snapshot);

        Assert.Empty(plan.Starts);
        Assert.Equal(PendingReason.Booked, plan.PendingReasons[1]);
    }

    [Fact]
    public void The_holders_job_starts_on_the_booked_gpus_first_and_leaves_the_unbooked_ones_to_others()
    {
        // GPUs 0-1 unbooked, 2-3 booked for alice now. Alice is first in line; bob then needs two unbooked GPUs.
        var snapshot = new SnapshotBuilder().Gpus(4)
            .Book("alice", [2, 3], startsInHours: -1, endsInHours: 8)
            .Queue(1, "alice", 2, waitedHours: 2)
            .Queue(2, "bob", 2, waitedHours: 1)
            .Build();

        var plan = Scheduler.Plan(snapshot);

        Assert.Equal(
            [(1L, new[] { SnapshotBuilder.Uuid(2), SnapshotBuilder.Uuid(3) }), (2L, new[] { SnapshotBuilder.Uuid(0), SnapshotBuilder.Uuid(1) })],
            plan.Starts.Select(s => (s.JobId, s.GpuUuids.ToArray())));
    }

    [Fact]
    public void The_holders_job_may_run_past_the_end_of_the_booking()
    {
        var snapshot = new SnapshotBuilder().Gpus(1)
            .Book("alice", [0], startsInHours: -1, endsInHours: 1)
            .Queue(1, "alice", 1, walltimeHours: 24)
            .Build();

        Assert.Single(Scheduler.Plan(snapshot).Starts);
    }

    [Fact]
    public void A_job_asking_for_a_specific_gpu_booked_for_someone_else_waits_for_the_booking()
    {
        var snapshot = new SnapshotBuilder().Gpus(2)
            .Book("alice", [1], startsInHours: 0.5, endsInHours: 2)
            .Queue(1, "bob", 1, walltimeHours: 1, specific: [1])
            .Build();

        Assert.Equal(PendingReason.Booked, Scheduler.Plan(snapshot).PendingReasons[1]);
    }

    [Fact]
    public void An_ended_booking_holds_nothing_back()
    {
        var snapshot = new SnapshotBuilder().Gpus(1)
            .Book("alice", [0], startsInHours: -5, endsInHours: 0)
            .Queue(1, "bob", 1, walltimeHours: 4)
            .Build();

        Assert.Single(Scheduler.Plan(snapshot).Starts);
    }

    [Fact]
    public void A_job_that_waits_for_resources_anyway_keeps_the_resources_reason()
    {
        // Both GPUs are busy: bob's job waits for resources, whatever the booking says.
        var snapshot = new SnapshotBuilder().Gpus(2)
            .Run(100, "zed", [0, 1], walltimeHours: 2)
            .Book("alice", [0], startsInHours: 3, endsInHours: 4)
            .Queue(1, "bob", 1, walltimeHours: 8)
            .Build();

        Assert.Equal(PendingReason.Resources, Scheduler.Plan(snapshot).PendingReasons[1]);
    }
}
