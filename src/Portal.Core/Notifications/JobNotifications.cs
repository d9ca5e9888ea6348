using Portal.Core.Jobs;

namespace Portal.Core.Notifications;

/// <summary>One thing that happened to a job, worth telling its owner.</summary>
/// <param name="Kind">Exactly one kind.</param>
/// <param name="State">The state the job moved to.</param>
/// <param name="ExitCode">Its command's exit code, when it ended with one.</param>
/// <param name="Detail">The detail recorded with the move (the failure reason, "cancelled by alice").</param>
/// <param name="At">When it moved.</param>
public sealed record JobNotification(NotificationKinds Kind, JobState State, int? ExitCode, string? Detail, DateTimeOffset At);

/// <summary>
/// Which moves of a job its owner hears about. Pure: the job store calls it with the history before and after one
/// change, in the transaction that records the change, so a notification exists exactly when the move does.
/// </summary>
public static class JobNotifications
{
    /// <summary>The notifications for the history entries after the first <paramref name="knownEntries"/>.</summary>
    /// <param name="job">The job after the change.</param>
    /// <param name="knownEntries">How many of its history entries were already recorded before the change.</param>
    public static IReadOnlyList<JobNotification> ForNewHistory(Job job, int knownEntries)
    {
        ArgumentNullException.ThrowIfNull(job);
        var found = new List<JobNotification>();
        for (var i = Math.Max(knownEntries, 1); i < job.History.Count; i++)
        {
            var change = job.History[i];
            var ranBefore = job.History.Take(i).Any(c => c.State == JobState.Running);
            if (Classify(change.State, ranBefore) is { } kind)
            {
                int? exitCode = kind == NotificationKinds.JobEnded && change.State.IsFinal() ? job.ExitCode : null;
                found.Add(new JobNotification(kind, change.State, exitCode, change.Detail, change.At));
            }
        }

        return found;
    }

    // Starting is the portal's own step (GPUs chosen, container being made): the owner hears when it runs, or that it
    // never did. A failure before it ever ran is a failure to start; every other final state is an end.
    private static NotificationKinds? Classify(JobState state, bool ranBefore) => state switch
    {
        JobState.Running => NotificationKinds.JobStarted,
        JobState.Failed when !ranBefore => NotificationKinds.JobFailedToStart,
        _ when state.IsFinal() => NotificationKinds.JobEnded,
        _ => null,
    };
}
