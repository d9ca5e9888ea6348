using Microsoft.Extensions.Time.Testing;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;

namespace Portal.Core.Tests.Scheduling;

/// <summary>With a <see cref="HostCapacity"/>, CPUs and memory are scheduled like GPUs.</summary>
public sealed class SchedulerHostCapacityTests
{
    private static readonly Scheduler Scheduler = new(new FakeTimeProvider(SnapshotBuilder.Now));

    [Fact]
    public void Cpu_only_jobs_stop_starting_when_the_box_cpus_are_taken()
    {
        var plan = Scheduler.Plan(new SnapshotBuilder().Gpus(0).Capacity(cpus: 8, memoryMiB: 65536)
            .Queue(1, "alice", 0, waitedHours: 3, cpus: 4)
            .Queue(2, "bob", 0, waitedHours: 2, cpus: 4)
            .Queue(3, "carol", 0, waitedHours: 1, cpus: 4)
            .Build());

        Assert.Equal([1L, 2L], plan.Starts.Select(s => s.JobId));
        Assert.Equal(PendingReason.Resources, plan.PendingReasons[3]);
    }

    [Fact]
    public void Memory_held_by_running_jobs_is_not_handed_out_twice()
    {
        var plan = Scheduler.Plan(new SnapshotBuilder().Gpus(2).Capacity(cpus: 64, memoryMiB: 100_000)
            .Run(100, "zed", [0], cpus: 4, memoryMiB: 80_000, walltimeHours: 2)
            .Queue(1, "alice", 1, memoryMiB: 30_000)
            .Build());

        Assert.Empty(plan.Starts);
        Assert.Equal(PendingReason.Resources, plan.PendingReasons[1]);
        Assert.Equal(SnapshotBuilder.Now.AddHours(2), plan.Reservation!.StartsBy);
    }

    [Fact]
    public void A_long_job_backfills_on_cpus_that_stay_spare_when_the_reserved_job_starts()
    {
        // 16 cores; 12 busy for 2 more hours. The first job needs 10: at +2 h all 16 are free, 6 to spare.
        var plan = Scheduler.Plan(new SnapshotBuilder().Gpus(0).Capacity(cpus: 16, memoryMiB: 1 << 20)
            .Run(100, "zed", [], cpus: 12, walltimeHours: 2)
            .Queue(1, "alice", 0, waitedHours: 3, cpus: 10, walltimeHours: 5)
            .Queue(2, "bob", 0, waitedHours: 2, cpus: 4, walltimeHours: 10)
            .Build());

        Assert.Equal([2L], plan.Starts.Select(s => s.JobId));
        Assert.Equal(1, plan.Reservation!.JobId);
    }

    [Fact]
    public void A_long_job_that_would_eat_the_reserved_cpus_waits_but_a_short_one_runs()
    {
        // The first job needs 14 of 16 cores at +2 h: only 2 stay spare, so a 10-hour 4-core job would delay it.
        var plan = Scheduler.Plan(new SnapshotBuilder().Gpus(0).Capacity(cpus: 16, memoryMiB: 1 << 20)
            .Run(100, "zed", [], cpus: 12, walltimeHours: 2)
            .Queue(1, "alice", 0, waitedHours: 3, cpus: 14, walltimeHours: 5)
            .Queue(2, "bob", 0, waitedHours: 2, cpus: 4, walltimeHours: 10)
            .Queue(3, "carol", 0, waitedHours: 1, cpus: 4, walltimeHours: 1.5)
            .Build());

        Assert.Equal([3L], plan.Starts.Select(s => s.JobId));
        Assert.Equal(PendingReason.Priority, plan.PendingReasons[2]);
    }

    [Fact]
    public void A_job_bigger_than_the_box_holds_no_reservation()
    {
        var plan = Scheduler.Plan(new SnapshotBuilder().Gpus(1).Capacity(cpus: 8, memoryMiB: 65536)
            .Run(100, "zed", [0], cpus: 2, walltimeHours: 2)
            .Queue(1, "alice", 0, waitedHours: 3, cpus: 32)
            .Queue(2, "bob", 1, waitedHours: 2, cpus: 2)
            .Build());

        Assert.Equal(PendingReason.Resources, plan.PendingReasons[1]);
        Assert.Equal(2, plan.Reservation!.JobId);
    }
}
