using Portal.Core.Jobs;

namespace Portal.Core.Tests.Jobs;

public sealed class JobTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 10, 0, 0, TimeSpan.Zero);

    private static Job NewJob(int gpus = 2) => new(7, "alice", new JobSpec
    {
        Name = "train",
        Image = "localhost/pytorch:2.5",
        Gpus = GpuRequest.Any(gpus),
        Walltime = TimeSpan.FromHours(2),
    }, T0);

    [Fact]
    public void A_job_that_runs_to_exit_zero_succeeds_with_its_history_and_gpu_seconds()
    {
        var job = NewJob();

        job.Start(["GPU-a", "GPU-b"], T0.AddMinutes(1));
        job.MarkRunning("c0ffee", T0.AddMinutes(1).AddSeconds(1));
        job.Finish(0, T0.AddMinutes(31));

        Assert.Equal(JobState.Succeeded, job.State);
        Assert.Equal([JobState.Queued, JobState.Starting, JobState.Running, JobState.Succeeded], job.History.Select(h => h.State));
        Assert.Equal(0, job.ExitCode);
        Assert.Equal("c0ffee", job.ContainerId);
        Assert.Equal(2 * 30 * 60, job.GpuSecondsUsed(T0.AddDays(1)));
        Assert.Equal(T0.AddMinutes(31), job.EndedAt);
    }

    [Theory]
    [InlineData(137, 137)]
    [InlineData(0, null)]
    [InlineData(null, null)]
    public void A_job_out_of_memory_fails_with_the_reason_and_keeps_only_a_nonzero_exit_code(int? exitCode, int? kept)
    {
        var job = NewJob();
        job.Start(["GPU-a", "GPU-b"], T0);
        job.MarkRunning("c0ffee", T0);

        job.FailOutOfMemory(exitCode, "out of memory: limit 64 MiB", T0.AddMinutes(1));

        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal(kept, job.ExitCode);
        Assert.Equal("out of memory: limit 64 MiB", job.History[^1].Detail);
        Assert.Equal(T0.AddMinutes(1), job.EndedAt);
    }

    [Theory]
    [InlineData(64L << 20, 4096L, "out of memory: limit 64 MiB")]
    [InlineData((64L << 20) + 1, 4096L, "out of memory: limit 65 MiB")]
    [InlineData(null, 512L, "out of memory: limit 512 MiB")]
    public void The_out_of_memory_reason_names_the_enforced_limit_else_the_request(long? limitBytes, long requestedMiB, string expected) =>
        Assert.Equal(expected, JobResourceUsage.OutOfMemoryReason(limitBytes, requestedMiB));

    [Fact]
    public void A_nonzero_exit_code_fails_the_job()
    {
        var job = NewJob();
        job.Start(["GPU-a", "GPU-b"], T0);
        job.MarkRunning("c0ffee", T0);

        job.Finish(137, T0.AddSeconds(5));

        Assert.Equal(JobState.Failed, job.State);
        Assert.Equal("exit code 137", job.History[^1].Detail);
    }

    [Fact]
    public void Gpu_seconds_of_a_running_job_count_up_to_now()
    {
        var job = NewJob(gpus: 3);
        job.Start(["GPU-a", "GPU-b", "GPU-c"], T0);

        Assert.Equal(3 * 600, job.GpuSecondsUsed(T0.AddMinutes(10)));
    }

    [Fact]
    public void A_job_past_its_walltime_times_out()
    {
        var job = NewJob();
        job.Start(["GPU-a", "GPU-b"], T0);
        job.MarkRunning("c0ffee", T0);

        Assert.False(job.IsPastWalltime(T0.AddHours(2).AddTicks(-1)));
        Assert.True(job.IsPastWalltime(T0.AddHours(2)));
        job.TimeOut(T0.AddHours(2));
        Assert.Equal(JobState.TimedOut, job.State);
        Assert.False(job.IsPastWalltime(T0.AddHours(3)));
    }

    [Fact]
    public void A_queued_job_can_be_withdrawn_and_used_no_gpu_time()
    {
        var job = NewJob();

        job.Cancel("alice", T0.AddMinutes(5));

        Assert.Equal(JobState.Cancelled, job.State);
        Assert.Equal("cancelled by alice", job.History[^1].Detail);
        Assert.Equal(0, job.GpuSecondsUsed(T0.AddDays(1)));
        Assert.Null(job.UsageInterval());
    }

    [Fact]
    public void Moves_the_state_machine_does_not_allow_are_refused()
    {
        var job = NewJob();

        Assert.Throws<InvalidOperationException>(() => job.MarkRunning("c0ffee", T0));
        Assert.Throws<InvalidOperationException>(() => job.Finish(0, T0));
        Assert.Throws<InvalidOperationException>(() => job.TimeOut(T0));
        job.Cancel("bob", T0);
        Assert.Throws<InvalidOperationException>(() => job.Start(["GPU-a", "GPU-b"], T0));
    }

    [Fact]
    public void Starting_with_the_wrong_number_of_gpus_is_refused() =>
        Assert.Throws<ArgumentException>(() => NewJob(gpus: 2).Start(["GPU-a"], T0));

    [Fact]
    public void A_state_change_cannot_go_back_in_time() =>
        Assert.Throws<ArgumentException>(() => NewJob().Start(["GPU-a", "GPU-b"], T0.AddSeconds(-1)));

    [Fact]
    public void A_queued_job_the_cluster_refuses_fails_without_having_started()
    {
        var job = NewJob();

        job.Reject("Slurm refused the job: Requested node configuration is not available", T0.AddSeconds(1));

        Assert.Equal(JobState.Failed, job.State);
        Assert.Null(job.StartedAt);
        Assert.Null(job.ExitCode);
        Assert.Equal(T0.AddSeconds(1), job.EndedAt);
        Assert.Equal(0, job.GpuSecondsUsed(T0.AddHours(1)));
    }

    [Fact]
    public void Only_a_queued_job_can_be_rejected()
    {
        var job = NewJob(gpus: 0);
        job.Start([], T0);

        Assert.Throws<InvalidOperationException>(() => job.Reject("late", T0.AddSeconds(1)));
    }

    [Fact]
    public void The_state_machine_matches_the_design()
    {
        Assert.Equal([JobState.Starting, JobState.Cancelled, JobState.Failed], JobStateMachine.NextStates(JobState.Queued));
        Assert.Equal([JobState.Running, JobState.Failed, JobState.Cancelled, JobState.Lost], JobStateMachine.NextStates(JobState.Starting));
        Assert.Equal(
            [JobState.Queued, JobState.Succeeded, JobState.Failed, JobState.Cancelled, JobState.TimedOut, JobState.Lost],
            JobStateMachine.NextStates(JobState.Running));
        Assert.All(
            [JobState.Succeeded, JobState.Failed, JobState.Cancelled, JobState.TimedOut, JobState.Lost],
            s => Assert.True(s.IsFinal()));
        // Back to the queue only from Running: a restartable job requeued by idle reclaim.
        Assert.All(Enum.GetValues<JobState>().Where(s => s != JobState.Running), s => Assert.False(JobStateMachine.CanMove(s, JobState.Queued)));
    }

    [Fact]
    public void A_stored_job_is_restored_with_its_history_gpus_container_and_exit_code()
    {
        var original = NewJob();
        original.Start(["GPU-a", "GPU-b"], T0.AddMinutes(1));
        original.MarkRunning("c0ffee", T0.AddMinutes(2));
        original.Finish(3, T0.AddMinutes(12));

        var restored = Job.Restore(original.Id, original.Owner, original.Spec, original.History.ToList(), ["GPU-a", "GPU-b"], "c0ffee", 3);

        Assert.Equal(original.History, restored.History);
        Assert.Equal(JobState.Failed, restored.State);
        Assert.Equal(["GPU-a", "GPU-b"], restored.AssignedGpuUuids);
        Assert.Equal("c0ffee", restored.ContainerId);
        Assert.Equal(3, restored.ExitCode);
        Assert.Equal(original.GpuSecondsUsed(T0.AddDays(1)), restored.GpuSecondsUsed(T0.AddDays(1)));
    }

    [Fact]
    public void A_stored_history_with_an_illegal_move_is_refused()
    {
        JobStateChange[] history = [new(JobState.Queued, T0, null), new(JobState.Running, T0.AddMinutes(1), null)];

        Assert.Throws<InvalidOperationException>(() => Job.Restore(1, "alice", NewJob().Spec, history, [], "c0ffee", null));
    }

    [Fact]
    public void A_stored_start_without_its_gpus_is_refused()
    {
        JobStateChange[] history = [new(JobState.Queued, T0, null), new(JobState.Starting, T0.AddMinutes(1), null)];

        Assert.Throws<InvalidOperationException>(() => Job.Restore(1, "alice", NewJob().Spec, history, ["GPU-a"], null, null));
    }
}
