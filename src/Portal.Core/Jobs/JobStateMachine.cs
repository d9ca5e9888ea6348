namespace Portal.Core.Jobs;

/// <summary>The allowed moves between <see cref="JobState"/>s. Everything not listed is a bug or a race, and refused.</summary>
public static class JobStateMachine
{
    private static readonly Dictionary<JobState, JobState[]> Next = new()
    {
        // Queued to Failed: a cluster's scheduler (Slurm) refused the job, or dropped it before it ever ran.
        [JobState.Queued] = [JobState.Starting, JobState.Cancelled, JobState.Failed],
        // Starting can fail before a container exists, be cancelled while the launcher works, or be lost on a crash.
        [JobState.Starting] = [JobState.Running, JobState.Failed, JobState.Cancelled, JobState.Lost],
        // Running to Queued: an idle-reclaim policy stopped a restartable job and queued it again (Job.Requeue).
        [JobState.Running] = [JobState.Queued, JobState.Succeeded, JobState.Failed, JobState.Cancelled, JobState.TimedOut, JobState.Lost],
        [JobState.Succeeded] = [],
        [JobState.Failed] = [],
        [JobState.Cancelled] = [],
        [JobState.TimedOut] = [],
        [JobState.Lost] = [],
    };

    /// <summary>True for the states a job never leaves.</summary>
    public static bool IsFinal(this JobState state) => Next[state].Length == 0;

    /// <summary>True while the job holds GPUs (from assignment until it ends).</summary>
    public static bool HoldsGpus(this JobState state) => state is JobState.Starting or JobState.Running;

    /// <summary>Whether a job in <paramref name="from"/> may move to <paramref name="to"/>.</summary>
    public static bool CanMove(JobState from, JobState to) => Array.IndexOf(Next[from], to) >= 0;

    /// <summary>The states a job in <paramref name="from"/> may move to.</summary>
    public static IReadOnlyList<JobState> NextStates(JobState from) => Next[from];
}
