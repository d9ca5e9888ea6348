using Portal.Data.Jobs;

namespace Portal.Jobs;

/// <summary>
/// One way of running the portal's jobs, driven by the <see cref="JobRunner"/>'s single loop (so no two of these calls
/// ever overlap): the local backend (rootless podman on this host, placed by the portal's own scheduler and GPU
/// ledger) or the Slurm backend (Slurm jobs of each owner, placed by Slurm). <c>Portal:Backend</c> picks one.
/// </summary>
public interface IJobBackend
{
    /// <summary>How often <see cref="WatchAsync"/> runs.</summary>
    TimeSpan WatchInterval { get; }

    /// <summary>Once, before anything else: adopt what survived a restart, so nothing is started twice.</summary>
    Task RecoverAsync(CancellationToken cancellationToken);

    /// <summary>A scheduling pass: why queued jobs wait, and start (or hand over) the ones that may go.</summary>
    Task PassAsync(CancellationToken cancellationToken);

    /// <summary>The frequent, cheap round: record what became of the started jobs.</summary>
    Task WatchAsync(CancellationToken cancellationToken);

    /// <summary>The thorough round (every <see cref="JobRunnerOptions.ReconcileInterval"/>): also clean up what no job
    /// owns any more.</summary>
    Task ReconcileAsync(CancellationToken cancellationToken);

    /// <summary>Cancels a job (the caller has checked the requester may): a queued one is withdrawn, a started one
    /// stopped as its owner and marked Cancelled.</summary>
    Task<JobChangeResult> CancelAsync(long jobId, string cancelledBy, CancellationToken cancellationToken);
}
