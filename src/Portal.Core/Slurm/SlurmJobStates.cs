using Portal.Core.Jobs;

namespace Portal.Core.Slurm;

/// <summary>Where a Slurm job is, in the portal's terms.</summary>
public enum SlurmPhase
{
    /// <summary>Waiting for resources or a limit (PENDING, REQUEUED, ...): see its reason.</summary>
    Pending,

    /// <summary>Allocated and running (RUNNING, CONFIGURING, COMPLETING, SUSPENDED, ...).</summary>
    Running,

    /// <summary>Over; the state word says how.</summary>
    Ended,
}

/// <summary>Slurm's job state words (squeue %T, scontrol JobState=) read by the portal.</summary>
public static class SlurmJobStates
{
    /// <summary>The phase of a state word; words this build does not know count as running, so nothing is ended on a guess.</summary>
    public static SlurmPhase Phase(string state) => Base(state) switch
    {
        "PENDING" or "REQUEUED" or "REQUEUE_HOLD" or "REQUEUE_FED" or "RESV_DEL_HOLD" => SlurmPhase.Pending,
        "COMPLETED" or "FAILED" or "CANCELLED" or "TIMEOUT" or "NODE_FAIL" or "OUT_OF_MEMORY" or "PREEMPTED"
            or "BOOT_FAIL" or "DEADLINE" or "SPECIAL_EXIT" or "REVOKED" => SlurmPhase.Ended,
        _ => SlurmPhase.Running,
    };

    /// <summary>
    /// The portal's final state for an ended Slurm job. <paramref name="exitCode"/> is the batch script's, which is
    /// podman's, which is the container's. A cancel from outside the portal (an admin's scancel) is Cancelled too.
    /// </summary>
    public static JobState FinalState(string state, int? exitCode) => Base(state) switch
    {
        "COMPLETED" => exitCode is null or 0 ? JobState.Succeeded : JobState.Failed,
        "CANCELLED" or "PREEMPTED" or "REVOKED" => JobState.Cancelled,
        "TIMEOUT" or "DEADLINE" => JobState.TimedOut,
        "NODE_FAIL" or "BOOT_FAIL" => JobState.Lost,
        _ => JobState.Failed,
    };

    /// <summary>"CANCELLED by 1000" and "CANCELLED+" as squeue and sacct print them are "CANCELLED".</summary>
    public static string Base(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var end = state.IndexOfAny([' ', '+']);
        return end < 0 ? state : state[..end];
    }
}
