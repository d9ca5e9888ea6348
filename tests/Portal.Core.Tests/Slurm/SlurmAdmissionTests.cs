using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Core.Slurm;

namespace Portal.Core.Tests.Slurm;

public sealed class SlurmAdmissionTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly EffectiveQuota Quota = new(
        MaxConcurrentGpus: 2, MaxConcurrentJobs: 3, MaxQueuedJobs: 10, GpuHoursPerWindow: 100, Window: TimeSpan.FromDays(7),
        MaxWalltime: TimeSpan.FromDays(1), MaxCpusPerJob: 16, MaxMemoryMiBPerJob: 65536);

    private static UnsubmittedJob Job(long id, string owner, int gpus, int minutesAfter = 0, int priority = 0) =>
        new(id, owner, gpus, priority, T0.AddMinutes(minutesAfter));

    [Fact]
    public void JobsWithinTheQuota_GoToSlurm_InTheOwnersOrder()
    {
        var plan = SlurmAdmission.Decide([Job(2, "alice", 1, 2), Job(1, "alice", 1, 1), Job(3, "bob", 0)], new Dictionary<string, OwnerInFlight>(), Quota);

        Assert.Equal([1, 2, 3], plan.Submit);
        Assert.Empty(plan.Pending);
    }

    [Fact]
    public void JobsAlreadyInSlurm_CountAsHeld_EvenWhilePendingThere()
    {
        var inFlight = new Dictionary<string, OwnerInFlight> { ["alice"] = new(Quota, Jobs: 1, Gpus: 2, GpuSecondsInWindow: 0) };

        var plan = SlurmAdmission.Decide([Job(5, "alice", 1), Job(6, "alice", 0)], inFlight, Quota);

        Assert.Equal(PendingReason.UserGpuLimit, plan.Pending[5]);
        Assert.Equal([6], plan.Submit);
    }

    [Fact]
    public void TheJobLimit_HoldsTheRest_WithItsReason()
    {
        var plan = SlurmAdmission.Decide([Job(1, "alice", 0, 1), Job(2, "alice", 0, 2), Job(3, "alice", 0, 3), Job(4, "alice", 0, 4)],
            new Dictionary<string, OwnerInFlight>(), Quota);

        Assert.Equal([1, 2, 3], plan.Submit);
        Assert.Equal(PendingReason.UserJobLimit, plan.Pending[4]);
    }

    [Fact]
    public void UsedUpGpuHours_HoldGpuJobs_ButNotCpuJobs()
    {
        var inFlight = new Dictionary<string, OwnerInFlight> { ["alice"] = new(Quota, 0, 0, GpuSecondsInWindow: 100 * 3600) };

        var plan = SlurmAdmission.Decide([Job(1, "alice", 1), Job(2, "alice", 0)], inFlight, Quota);

        Assert.Equal(PendingReason.GpuHoursExhausted, plan.Pending[1]);
        Assert.Equal([2], plan.Submit);
    }

    [Fact]
    public void HigherPriority_GoesFirst_WithinOneOwner()
    {
        var quota = Quota with { MaxConcurrentJobs = 1 };

        var plan = SlurmAdmission.Decide([Job(1, "alice", 0, 1), Job(2, "alice", 0, 2, priority: 5)], new Dictionary<string, OwnerInFlight>(), quota);

        Assert.Equal([2], plan.Submit);
        Assert.Equal(PendingReason.UserJobLimit, plan.Pending[1]);
    }
}
