using Portal.Launcher.Protocol;

namespace Portal.Jobs;

/// <summary>What podman's state word (always lower case) means for a job.</summary>
internal enum ContainerPhase
{
    /// <summary>Created but not started: a launch in flight, or one that failed between create and start.</summary>
    Created,

    /// <summary>The job's processes exist (running, paused, stopping).</summary>
    Alive,

    /// <summary>The command ended; the exit code is final.</summary>
    Ended,

    /// <summary>Being removed, or a word this build does not know: look again later.</summary>
    Unsettled,
}

internal static class ContainerStates
{
    public static ContainerPhase Phase(ContainerState container) => container.State switch
    {
        "created" or "configured" or "initialized" => ContainerPhase.Created,
        "running" or "paused" or "stopping" => ContainerPhase.Alive,
        "exited" or "stopped" => ContainerPhase.Ended,
        _ => ContainerPhase.Unsettled,
    };

    /// <summary>
    /// True when the container started before the job was even submitted: it belongs to an earlier job that had the
    /// same id (a database restored or recreated while containers survived), never to this one.
    /// </summary>
    public static bool PredatesJob(ContainerState container, DateTimeOffset submittedAt) =>
        container.StartedAt is { } started && started.Year > 2000 && started < submittedAt - TimeSpan.FromSeconds(5);
}
