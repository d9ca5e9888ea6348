namespace Portal.Core.Jobs;

/// <summary>Where a job is in its life. The last five are final.</summary>
public enum JobState
{
    /// <summary>Accepted and waiting for the scheduler; see its <see cref="PendingReason"/>.</summary>
    Queued,

    /// <summary>GPUs assigned; the launcher is creating the container.</summary>
    Starting,

    /// <summary>The container runs.</summary>
    Running,

    /// <summary>The command exited with code 0.</summary>
    Succeeded,

    /// <summary>The command exited with another code, or the container could not be started.</summary>
    Failed,

    /// <summary>Stopped or withdrawn by its owner or an administrator.</summary>
    Cancelled,

    /// <summary>Stopped by the portal because it ran past its walltime.</summary>
    TimedOut,

    /// <summary>The portal lost track of the container (it vanished while the portal was not watching).</summary>
    Lost,
}
