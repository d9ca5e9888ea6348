using Portal.Core.Quotas;

namespace Portal.Core.Jobs;

/// <summary>One entry of a job's state history.</summary>
/// <param name="State">The state entered.</param>
/// <param name="At">When.</param>
/// <param name="Detail">Why, for people: "exit code 1", "cancelled by alice", "walltime 2 h reached".</param>
public sealed record JobStateChange(JobState State, DateTimeOffset At, string? Detail);

/// <summary>
/// A submitted job and everything that happened to it. State changes go through methods that keep the invariants:
/// only moves allowed by <see cref="JobStateMachine"/>, GPUs assigned exactly when leaving the queue, an exit code
/// only for finished commands, and a history entry for every move.
/// </summary>
public sealed class Job
{
    private readonly List<JobStateChange> _history;

    /// <summary>A new job, queued at <paramref name="submittedAt"/>. Validate <paramref name="spec"/> first.</summary>
    public Job(long id, string owner, JobSpec spec, DateTimeOffset submittedAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentNullException.ThrowIfNull(spec);
        Id = id;
        Owner = owner;
        Spec = spec;
        SubmittedAt = submittedAt;
        _history = [new JobStateChange(JobState.Queued, submittedAt, null)];
    }

    /// <summary>
    /// Rebuilds a stored job. The history is replayed through the same rules as live changes, so a row that could
    /// not have come about (an illegal move, a start without the GPUs it asked for) is refused instead of loaded.
    /// </summary>
    /// <param name="id">The job id.</param>
    /// <param name="owner">The owner.</param>
    /// <param name="spec">The stored request.</param>
    /// <param name="history">The stored state history, oldest first, starting with <see cref="JobState.Queued"/>.</param>
    /// <param name="assignedGpuUuids">The GPUs assigned when it started (empty if it never started; for a requeued job,
    /// those of its latest attempt).</param>
    /// <param name="containerId">The container id, if one was created.</param>
    /// <param name="exitCode">The exit code, if the command ended.</param>
    /// <param name="pendingReason">The stored pending reason of a queued job.</param>
    /// <exception cref="InvalidOperationException">The stored data breaks an invariant.</exception>
    public static Job Restore(
        long id,
        string owner,
        JobSpec spec,
        IReadOnlyList<JobStateChange> history,
        IReadOnlyList<string> assignedGpuUuids,
        string? containerId,
        int? exitCode,
        PendingReason pendingReason = PendingReason.None)
    {
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(assignedGpuUuids);
        if (history.Count == 0 || history[0].State != JobState.Queued)
        {
            throw new InvalidOperationException($"Stored job {id} does not start in the queue.");
        }

        var job = new Job(id, owner, spec, history[0].At);
        // An attempt that was requeued kept no container id (the row holds the latest attempt's only).
        int lastRequeue = LastIndexOf(history, JobState.Queued);
        try
        {
            for (int i = 1; i < history.Count; i++)
            {
                var change = history[i];
                if (change.State == JobState.Queued)
                {
                    job.Requeue(change.Detail ?? "requeued", change.At);
                    continue;
                }

                job.Move(change.State, change.At, change.Detail);
                switch (change.State)
                {
                    case JobState.Running when i < lastRequeue:
                        break;
                    case JobState.Starting:
                        job.AssignGpus(assignedGpuUuids, change.At);
                        break;
                    case JobState.Running:
                        job.ContainerId = containerId ?? throw new InvalidOperationException($"Stored job {id} ran without a container id.");
                        break;
                    case JobState.Succeeded or JobState.Failed when exitCode is not null:
                        job.ExitCode = exitCode;
                        break;
                }
            }
        }
        catch (ArgumentException e)
        {
            throw new InvalidOperationException($"Stored job {id} is inconsistent: {e.Message}", e);
        }

        if (pendingReason != PendingReason.None)
        {
            job.MarkPending(pendingReason);
        }

        return job;
    }

    private static int LastIndexOf(IReadOnlyList<JobStateChange> history, JobState state)
    {
        for (int i = history.Count - 1; i >= 0; i--)
        {
            if (history[i].State == state)
            {
                return i;
            }
        }

        return -1;
    }

    public long Id { get; }

    /// <summary>The Linux user name the job runs as.</summary>
    public string Owner { get; }

    public JobSpec Spec { get; }

    public DateTimeOffset SubmittedAt { get; }

    public JobState State => _history[^1].State;

    /// <summary>Every state the job entered, oldest first; the first is always <see cref="JobState.Queued"/>.</summary>
    public IReadOnlyList<JobStateChange> History => _history;

    /// <summary>Why the job is still queued, as the last scheduling pass saw it; <see cref="PendingReason.None"/> once it
    /// left the queue or before any pass looked at it.</summary>
    public PendingReason PendingReason { get; private set; }

    /// <summary>The GPUs the job holds or held, by UUID; empty while queued and for CPU-only jobs.</summary>
    public IReadOnlyList<string> AssignedGpuUuids { get; private set; } = [];

    /// <summary>When GPUs were assigned (the move to <see cref="JobState.Starting"/>); accounting starts here.</summary>
    public DateTimeOffset? StartedAt { get; private set; }

    /// <summary>When the job reached a final state.</summary>
    public DateTimeOffset? EndedAt { get; private set; }

    /// <summary>The podman container id, once the launcher created it.</summary>
    public string? ContainerId { get; private set; }

    /// <summary>The command's exit code, when it ran to an end.</summary>
    public int? ExitCode { get; private set; }

    /// <summary>How many times the job was started (0 while it never left the queue; above 1 once it was requeued).</summary>
    public int Attempts => _history.Count(h => h.State == JobState.Starting);

    /// <summary>When the walltime runs out, once started (each attempt gets the whole walltime).</summary>
    public DateTimeOffset? WalltimeEndsAt => StartedAt + Spec.Walltime;

    /// <summary>Records why the job still waits (from <see cref="Scheduling.SchedulingPlan.PendingReasons"/>).</summary>
    public void MarkPending(PendingReason reason)
    {
        if (State != JobState.Queued)
        {
            throw new InvalidOperationException($"Job {Id} is {State}; only queued jobs wait.");
        }

        PendingReason = reason;
    }

    /// <summary>The scheduler chose GPUs for the job; the launcher is asked to start it.</summary>
    public void Start(IReadOnlyList<string> gpuUuids, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(gpuUuids);
        CheckGpuCount(gpuUuids);
        Move(JobState.Starting, at, null);
        AssignGpus(gpuUuids, at);
    }

    /// <summary>The launcher created the container.</summary>
    public void MarkRunning(string containerId, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrEmpty(containerId);
        Move(JobState.Running, at, null);
        ContainerId = containerId;
    }

    /// <summary>The command exited: <see cref="JobState.Succeeded"/> for code 0, else <see cref="JobState.Failed"/>.</summary>
    public void Finish(int exitCode, DateTimeOffset at)
    {
        var detail = exitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Move(exitCode == 0 ? JobState.Succeeded : JobState.Failed, at, "exit code " + detail);
        ExitCode = exitCode;
    }

    /// <summary>The container could not be started.</summary>
    public void FailToStart(string reason, DateTimeOffset at)
    {
        if (State != JobState.Starting)
        {
            throw new InvalidOperationException($"Job {Id} is {State}, not starting.");
        }

        Move(JobState.Failed, at, reason);
    }

    /// <summary>
    /// The kernel's OOM killer ended a process of the job inside its cgroup: the job failed for that reason, whatever
    /// its command returned. An exit code other than 0 is kept (usually 137: the command was the process killed).
    /// </summary>
    public void FailOutOfMemory(int? exitCode, string reason, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        Move(JobState.Failed, at, reason);
        if (exitCode is { } code and not 0)
        {
            ExitCode = code;
        }
    }

    /// <summary>The cluster's scheduler refused the queued job, or dropped it before it ran (Slurm's words in
    /// <paramref name="reason"/>): it fails without ever having held anything.</summary>
    public void Reject(string reason, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        if (State != JobState.Queued)
        {
            throw new InvalidOperationException($"Job {Id} is {State}, not queued.");
        }

        Move(JobState.Failed, at, reason);
    }

    /// <summary>Its owner or an administrator cancelled it (queued: withdrawn; started: stopped).</summary>
    public void Cancel(string cancelledBy, DateTimeOffset at) => Move(JobState.Cancelled, at, "cancelled by " + cancelledBy);

    /// <summary>
    /// The portal stopped the running job (its container is gone, its GPUs released) and queues it again: it keeps its
    /// submission time, so the scheduler's order and fair share treat it as the job it was, and the next start is a
    /// new attempt with GPUs of its own. Only a job that declared itself <see cref="JobSpec.Restartable"/>.
    /// </summary>
    /// <param name="reason">Why, for the history ("requeued: its GPUs were idle ...").</param>
    /// <param name="at">When.</param>
    public void Requeue(string reason, DateTimeOffset at)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        if (!Spec.Restartable)
        {
            throw new InvalidOperationException($"Job {Id} is not restartable; it cannot be queued again.");
        }

        Move(JobState.Queued, at, reason);
        AssignedGpuUuids = [];
        StartedAt = null;
        ContainerId = null;
    }

    /// <summary>The portal stopped it because its walltime ran out.</summary>
    public void TimeOut(DateTimeOffset at) => Move(JobState.TimedOut, at, "walltime reached");

    /// <summary>The container disappeared without the portal seeing it end.</summary>
    public void MarkLost(string detail, DateTimeOffset at) => Move(JobState.Lost, at, detail);

    /// <summary>GPU-seconds used up to <paramref name="now"/> (or its end): GPUs held times seconds held.</summary>
    public double GpuSecondsUsed(DateTimeOffset now) =>
        UsageInterval()?.GpuSecondsWithin(DateTimeOffset.MinValue, now) ?? 0;

    /// <summary>The accounting interval, once GPUs were assigned; null for jobs that never left the queue.</summary>
    public GpuUsageInterval? UsageInterval() =>
        StartedAt is { } start ? new GpuUsageInterval(Owner, Id, AssignedGpuUuids.Count, start, EndedAt) : null;

    /// <summary>True when the job has run past its walltime at <paramref name="now"/> and must be stopped.</summary>
    public bool IsPastWalltime(DateTimeOffset now) => State.HoldsGpus() && now >= WalltimeEndsAt;

    private void CheckGpuCount(IReadOnlyList<string> gpuUuids)
    {
        if (gpuUuids.Count != Spec.Gpus.Count)
        {
            throw new ArgumentException($"Job {Id} asks for {Spec.Gpus.Count} GPUs but was given {gpuUuids.Count}.", nameof(gpuUuids));
        }
    }

    private void AssignGpus(IReadOnlyList<string> gpuUuids, DateTimeOffset at)
    {
        CheckGpuCount(gpuUuids);
        AssignedGpuUuids = gpuUuids.ToArray();
        StartedAt = at;
    }

    private void Move(JobState to, DateTimeOffset at, string? detail)
    {
        if (!JobStateMachine.CanMove(State, to))
        {
            throw new InvalidOperationException($"Job {Id} cannot move from {State} to {to}.");
        }

        if (at < _history[^1].At)
        {
            throw new ArgumentException($"Job {Id}: a state change cannot predate the previous one.", nameof(at));
        }

        _history.Add(new JobStateChange(to, at, detail));
        PendingReason = PendingReason.None;
        if (to.IsFinal())
        {
            EndedAt = at;
        }
    }
}
