using Microsoft.Extensions.Time.Testing;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;

namespace Portal.Core.Tests.Scheduling;

public sealed class SchedulerPendingReasonTests
{
    private static readonly Scheduler Scheduler = new(new FakeTimeProvider(SnapshotBuilder.Now));

    [Fact]
    public void Resources_when_first_in_line_and_the_gpus_are_busy()
    {
        var plan = Scheduler.Plan(new SnapshotBuilder().Gpus(1).Run(100, "zed", [0]).Queue(1, "alice", 1).Build());

        Assert.Equal(PendingReason.Resources, plan.PendingReasons[1]);
    }

    [Fact]
    public void Priority_when_another_job_is_first_in_line()
    {
        var plan = Scheduler.Plan(new SnapshotBuilder().Gpus(1).Run(100, "zed", [0])
            .Queue(1, "alice", 1, waitedHours: 2).Queue(2, "bob", 1, waitedHours: 1).Build());

        Assert.Equal(PendingReason.Priority, plan.PendingReasons[2]);
    }

    [Fact]
    public void UserGpuLimit_when_the_owner_already_holds_their_gpus()
    {
        var plan = Scheduler.Plan(new SnapshotBuilder().Gpus(4)
            .Quota("alice", SnapshotBuilder.Generous with { MaxConcurrentGpus = 2 })
            .Run(100, "alice", [0])
            .Queue(1, "alice", 2)
            .Queue(2, "alice", 1)
            .Build());

        Assert.Equal(PendingReason.UserGpuLimit, plan.PendingReasons[1]);
        Assert.Equal(2, Assert.Single(plan.Starts).JobId);
    }

    [Fact]
    public void UserJobLimit_when_the_owner_runs_as_many_jobs_as_allowed_counting_this_pass()
    {
        var plan = Scheduler.Plan(new SnapshotBuilder().Gpus(4)
            .Quota("alice", SnapshotBuilder.Generous with { MaxConcurrentJobs = 2 })
            .Run(100, "alice", [0])
            .Queue(1, "alice", 1, waitedHours: 2)
            .Queue(2, "alice", 0, waitedHours: 1)
            .Build());

        Assert.Equal([1L], plan.Starts.Select(s => s.JobId));
        Assert.Equal(PendingReason.UserJobLimit, plan.PendingReasons[2]);
    }

    [Fact]
    public void GpuHoursExhausted_holds_gpu_jobs_but_not_cpu_only_jobs()
    {
        var plan = Scheduler.Plan(new SnapshotBuilder().Gpus(2)
            .Quota("alice", SnapshotBuilder.Generous with { GpuHoursPerWindow = 10 })
            .UsedGpuHours("alice", 10)
            .Queue(1, "alice", 1)
            .Queue(2, "alice", 0)
            .Build());

        Assert.Equal(PendingReason.GpuHoursExhausted, plan.PendingReasons[1]);
        Assert.Equal([2L], plan.Starts.Select(s => s.JobId));
    }

    [Fact]
    public void GpuDrained_when_the_job_needs_more_gpus_than_are_undrained()
    {
        var plan = Scheduler.Plan(new SnapshotBuilder().Gpus(4, drained: [0, 1])
            .Queue(1, "alice", 3, waitedHours: 2)
            .Queue(2, "bob", 2, waitedHours: 1)
            .Build());

        Assert.Equal(PendingReason.GpuDrained, plan.PendingReasons[1]);
        // The drained job holds no reservation: the next job starts on the undrained GPUs.
        Assert.Null(plan.Reservation);
        Assert.Equal([SnapshotBuilder.Uuid(2), SnapshotBuilder.Uuid(3)], Assert.Single(plan.Starts).GpuUuids);
    }

    [Fact]
    public void GpuDrained_when_the_specific_gpu_is_drained()
    {
        var plan = Scheduler.Plan(new SnapshotBuilder().Gpus(2, drained: [1]).Queue(1, "admin", 1, specific: [1]).Build());

        Assert.Equal(PendingReason.GpuDrained, plan.PendingReasons[1]);
    }

    [Fact]
    public void A_drained_gpu_never_receives_a_job_and_undraining_makes_it_usable()
    {
        var drained = new SnapshotBuilder().Gpus(2, drained: [0]).Queue(1, "alice", 1).Queue(2, "bob", 1).Build();

        var plan = Scheduler.Plan(drained);
        var undrained = Scheduler.Plan(drained with { Gpus = drained.Gpus.Select(g => g with { Drained = false }).ToList() });

        Assert.Equal([SnapshotBuilder.Uuid(1)], Assert.Single(plan.Starts).GpuUuids);
        Assert.Equal(2, undrained.Starts.Count);
    }

    [Fact]
    public void Every_queued_job_is_either_started_or_has_a_reason()
    {
        var snapshot = new SnapshotBuilder().Gpus(2).Queue(1, "a", 1).Queue(2, "b", 1).Queue(3, "c", 1).Queue(4, "d", 0).Build();

        var plan = Scheduler.Plan(snapshot);

        Assert.Equal(
            snapshot.Queued.Select(q => q.JobId).Order(),
            plan.Starts.Select(s => s.JobId).Concat(plan.PendingReasons.Keys).Order());
    }
}
