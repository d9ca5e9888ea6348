namespace Portal.Jobs;

/// <summary>
/// One way of running the portal's jobs, driven by the <see cref="JobRunner"/>'s single loop (no two of these calls
/// overlap): the local backend (rootless podman on this host, placed by the portal's own scheduler and GPU ledger) or
/// the Slurm backend (Slurm jobs of each owner, placed by Slurm). <c>Portal:Backend</c> picks one. A backend may
/// leave work running after a call returns (the local backend runs its launcher calls in one lane per owner); it keeps
/// that work from ever acting on one job twice at once, and <see cref="IdleAsync"/> waits for it.
/// </summary>
public interface IJobBackend
{
    /// <summary>How often <see cref="WatchAsync"/> runs.</summary>
    TimeSpan WatchInterval { get; }

    /// <summary>Once, before anything else: adopt what survived a restart, so nothing is started twice. Done when it
    /// returns (work it started included).</summary>
    Task RecoverAsync(CancellationToken cancellationToken);

    /// <summary>A scheduling pass: why queued jobs wait, and start (or hand over) the ones that may go.</summary>
    Task PassAsync(CancellationToken cancellationToken);

    /// <summary>The frequent, cheap round: record what became of the started jobs.</summary>
    Task WatchAsync(CancellationToken cancellationToken);

    /// <summary>The thorough round (every <see cref="JobRunnerOptions.ReconcileInterval"/>): also clean up what no job
    /// owns any more.</summary>
    Task ReconcileAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Cancels a job (the caller has checked the requester may): a queued one is withdrawn, a started one stopped as its
    /// owner and marked Cancelled. The backend completes <paramref name="request"/>, possibly after this returns. False
    /// when it cannot begin now (the local backend: the owner's lane is busy); the runner offers it again at its next
    /// round, and the backend wakes the runner once it could.
    /// </summary>
    Task<bool> TryCancelAsync(JobCancelRequest request, CancellationToken cancellationToken);

    /// <summary>Completes when the work the backend left running (its lanes) has ended; the runner waits for it when it
    /// stops. Faults are the work's own to log, never thrown here.</summary>
    Task IdleAsync();
}
