using Portal.Core.Jobs;
using Portal.Core.Notifications;

namespace Portal.Core.Tests.Notifications;

public sealed class JobNotificationsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);

    private static Job NewJob() => new(7, "alice", new JobSpec
    {
        Name = "train",
        Image = "localhost/pytorch:2.5",
        Gpus = GpuRequest.Any(0),
        Walltime = TimeSpan.FromHours(2),
    }, T0);

    [Fact]
    public void Starting_is_not_told_running_is_a_start_and_the_exit_is_an_end_with_its_code()
    {
        var job = NewJob();

        job.Start([], T0.AddMinutes(1));
        var afterStart = JobNotifications.ForNewHistory(job, 1);
        job.MarkRunning("c0ffee", T0.AddMinutes(2));
        var afterRunning = JobNotifications.ForNewHistory(job, 2);
        job.Finish(3, T0.AddMinutes(3));
        var afterEnd = JobNotifications.ForNewHistory(job, 3);

        Assert.Empty(afterStart);
        Assert.Equal(new JobNotification(NotificationKinds.JobStarted, JobState.Running, null, null, T0.AddMinutes(2)), Assert.Single(afterRunning));
        Assert.Equal(new JobNotification(NotificationKinds.JobEnded, JobState.Failed, 3, "exit code 3", T0.AddMinutes(3)), Assert.Single(afterEnd));
    }

    [Fact]
    public void A_job_that_fails_before_it_ever_ran_failed_to_start_with_the_launchers_reason()
    {
        var job = NewJob();
        job.Start([], T0.AddMinutes(1));

        job.FailToStart("Error: localhost/nope: image not known", T0.AddMinutes(2));

        var told = Assert.Single(JobNotifications.ForNewHistory(job, 2));
        Assert.Equal((NotificationKinds.JobFailedToStart, JobState.Failed, "Error: localhost/nope: image not known"), (told.Kind, told.State, told.Detail));
    }

    [Fact]
    public void A_queued_job_the_cluster_rejects_failed_to_start_and_a_withdrawn_one_ended()
    {
        var rejected = NewJob();
        var withdrawn = NewJob();

        rejected.Reject("Invalid partition name specified", T0.AddMinutes(1));
        withdrawn.Cancel("alice", T0.AddMinutes(1));

        Assert.Equal(NotificationKinds.JobFailedToStart, Assert.Single(JobNotifications.ForNewHistory(rejected, 1)).Kind);
        var ended = Assert.Single(JobNotifications.ForNewHistory(withdrawn, 1));
        Assert.Equal((NotificationKinds.JobEnded, JobState.Cancelled, "cancelled by alice"), (ended.Kind, ended.State, ended.Detail));
    }

    [Fact]
    public void A_running_job_out_of_memory_or_timed_out_ended_and_several_moves_in_one_change_are_each_told()
    {
        var job = NewJob();
        job.Start([], T0.AddMinutes(1));
        job.MarkRunning("c0ffee", T0.AddMinutes(2));
        job.TimeOut(T0.AddHours(2));

        var told = JobNotifications.ForNewHistory(job, 1);

        Assert.Equal([NotificationKinds.JobStarted, NotificationKinds.JobEnded], told.Select(t => t.Kind));
        Assert.Equal(JobState.TimedOut, told[1].State);
    }

    [Fact]
    public void The_submission_itself_tells_nothing()
    {
        Assert.Empty(JobNotifications.ForNewHistory(NewJob(), 0));
    }
}
