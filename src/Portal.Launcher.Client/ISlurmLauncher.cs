using Portal.Launcher.Protocol;

namespace Portal.Launcher.Client;

/// <summary>
/// The launcher's Slurm verbs: a job of the portal becomes a Slurm job of its owner (sbatch as that user), which the
/// owner's uid alone can cancel. Failures throw <see cref="LauncherException"/>; one Slurm itself refused (sbatch's
/// "Batch job submission failed: ...") is an <see cref="LauncherFailure.OperationFailed"/> with Slurm's words.
/// </summary>
public interface ISlurmLauncher
{
    /// <summary>Submits the job's container as a batch job of <paramref name="user"/>; returns Slurm's job id.</summary>
    Task<SlurmSubmission> SubmitAsync(string user, string job, RunSpec spec, SlurmSpec slurm, CancellationToken cancellationToken = default);

    /// <summary>Submits an app (its pod, one container per service) as one batch job of <paramref name="user"/>; each
    /// service's GPUs are a count (<see cref="AppServiceSpec.GpuCount"/>) adding up to <see cref="SlurmSpec.Gpus"/>.</summary>
    Task<SlurmSubmission> SubmitAppAsync(string user, string job, AppSpec app, SlurmSpec slurm, CancellationToken cancellationToken = default);

    /// <summary>Cancels Slurm job <paramref name="slurmJobId"/> once the launcher has checked it is <paramref name="job"/>
    /// of <paramref name="user"/>; a job Slurm has finished or forgotten is not an error.</summary>
    Task CancelAsync(string user, string job, long slurmJobId, CancellationToken cancellationToken = default);

    /// <summary>The job's output file, line by line; with <see cref="LogsSpec.Follow"/> until the token is cancelled.</summary>
    IAsyncEnumerable<string> StreamLogAsync(string user, string job, long slurmJobId, LogsSpec options, CancellationToken cancellationToken = default);

    /// <summary>A new connection to the app of session <paramref name="job"/> of <paramref name="user"/>, running as
    /// Slurm job <paramref name="slurmJobId"/>: a byte stream to its socket on the node, relayed as the user through a
    /// step of that job. Fails (refused) unless Slurm says the job is the user's, is this job and runs.</summary>
    Task<Stream> ConnectAsync(string user, string job, long slurmJobId, CancellationToken cancellationToken = default);
}

/// <summary>A submitted Slurm job.</summary>
/// <param name="SlurmJobId">Slurm's job id.</param>
/// <param name="Warnings">What sbatch said on stderr while accepting it.</param>
public sealed record SlurmSubmission(long SlurmJobId, IReadOnlyList<string> Warnings);
