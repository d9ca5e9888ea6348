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
    public void The_state_machine_matches_the_design()
    {
        Assert.Equal([JobState.Starting, JobState.Cancelled], JobStateMachine.NextStates(JobState.Queued));
        Assert.Equal([JobState.Running, JobState.Failed, JobState.Cancelled, JobState.Lost], JobStateMachine.NextStates(JobState.Starting));
        Assert.Equal(
            [JobState.Succeeded, JobState.Failed, JobState.Cancelled, JobState.TimedOut, JobState.Lost],
            JobStateMachine.NextStates(JobState.Running));
        Assert.All(
            [JobState.Succeeded, JobState.Failed, JobState.Cancelled, JobState.TimedOut, JobState.Lost],
            s => Assert.True(s.IsFinal()));
        Assert.All(Enum.GetValues<JobState>(), s => Assert.False(JobStateMachine.CanMove(s, JobState.Queued)));
    }
}
