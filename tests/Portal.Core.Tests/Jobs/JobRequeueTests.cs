using Portal.Core.Jobs;
using Portal.Core.Sessions;

namespace Portal.Core.Tests.Jobs;

/// <summary>The move back to the queue of a restartable job (idle reclaim's StopAndRequeue).</summary>
public sealed class JobRequeueTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 1, 0, 0, TimeSpan.Zero);

    private static JobSpec Spec(bool restartable) => new()
    {
        Name = "train",
        Image = "localhost/pytorch:2.5",
        Gpus = GpuRequest.Any(1),
        Walltime = TimeSpan.FromHours(2),
        Restartable = restartable,
    };

    private static Job Running(bool restartable)
    {
        var job = new Job(7, "alice", Spec(restartable), T0);
        job.Start(["GPU-a"], T0.AddMinutes(1));
        job.MarkRunning("c0ffee", T0.AddMinutes(2));
        return job;
    }

    [Fact]
    public void Only_a_running_job_may_move_back_to_the_queue()
    {
        Assert.True(JobStateMachine.CanMove(JobState.Running, JobState.Queued));
        Assert.False(JobStateMachine.CanMove(JobState.Starting, JobState.Queued));
        Assert.False(JobStateMachine.CanMove(JobState.Cancelled, JobState.Queued));
    }

    [Fact]
    public void A_requeued_job_keeps_its_submission_time_gives_up_its_GPUs_and_counts_its_next_start_as_a_second_attempt()
    {
        var job = Running(restartable: true);
        Assert.Equal(1, job.Attempts);

        job.Requeue("requeued: its GPUs were idle", T0.AddMinutes(30));

        Assert.Equal(JobState.Queued, job.State);
        Assert.Equal(T0, job.SubmittedAt);
        Assert.Empty(job.AssignedGpuUuids);
        Assert.Null(job.StartedAt);
        Assert.Null(job.ContainerId);
        Assert.Null(job.EndedAt);
        Assert.Equal("requeued: its GPUs were idle", job.History[^1].Detail);

        job.Start(["GPU-b"], T0.AddMinutes(31));
        job.MarkRunning("beef", T0.AddMinutes(32));
        Assert.Equal(2, job.Attempts);
        Assert.Equal(T0.AddMinutes(31) + TimeSpan.FromHours(2), job.WalltimeEndsAt);
    }

    [Fact]
    public void A_job_that_is_not_restartable_is_never_requeued()
    {
        var job = Running(restartable: false);

        Assert.Throws<InvalidOperationException>(() => job.Requeue("requeued", T0.AddMinutes(30)));
        Assert.Equal(JobState.Running, job.State);
    }

    [Fact]
    public void A_stored_job_with_a_requeue_in_its_history_is_restored_with_the_latest_attempt_only()
    {
        var live = Running(restartable: true);
        live.Requeue("requeued: idle", T0.AddMinutes(30));
        live.Start(["GPU-b"], T0.AddMinutes(31));
        live.MarkRunning("beef", T0.AddMinutes(32));

        var restored = Job.Restore(7, "alice", Spec(true), live.History, ["GPU-b"], "beef", null);

        Assert.Equal(JobState.Running, restored.State);
        Assert.Equal(2, restored.Attempts);
        Assert.Equal(["GPU-b"], restored.AssignedGpuUuids);
        Assert.Equal("beef", restored.ContainerId);
        Assert.Equal(T0.AddMinutes(31), restored.StartedAt);
        Assert.Equal(T0, restored.SubmittedAt);

        var queued = Job.Restore(7, "alice", Spec(true), live.History.Take(4).ToList(), ["GPU-a"], null, null);
        Assert.Equal(JobState.Queued, queued.State);
        Assert.Null(queued.ContainerId);
        Assert.Equal(1, queued.Attempts);
    }

    [Fact]
    public void Restartable_is_refused_for_sessions_and_on_a_cluster_and_accepted_for_a_batch_job_here()
    {
        var quota = new Portal.Core.Quotas.EffectiveQuota(
            MaxConcurrentGpus: 2, MaxConcurrentJobs: 4, MaxQueuedJobs: 10, GpuHoursPerWindow: 100,
            Window: TimeSpan.FromDays(7), MaxWalltime: TimeSpan.FromHours(24), MaxCpusPerJob: 16, MaxMemoryMiBPerJob: 65536);
        var here = new JobSubmitContext(IsAdmin: false, quota, QueuedJobsOfOwner: 0, [], ["GPU-a"]);
        var session = Spec(true) with { Session = new SessionApp(SessionKind.Jupyter) };

        Assert.DoesNotContain(JobSpecValidator.Validate(Spec(true), here), e => e.Field == nameof(JobSpec.Restartable));
        Assert.Contains(JobSpecValidator.Validate(session, here),
            e => e.Field == nameof(JobSpec.Restartable) && e.Message.StartsWith("Sessions and apps cannot be restartable", StringComparison.Ordinal));
        Assert.Contains(JobSpecValidator.Validate(Spec(true), here with { Cluster = new ClusterCapacity(4) }),
            e => e.Field == nameof(JobSpec.Restartable) && e.Message.Contains("Slurm", StringComparison.Ordinal));
    }
}
