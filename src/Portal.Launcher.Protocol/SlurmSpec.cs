namespace Portal.Launcher.Protocol;

/// <summary>
/// What a Slurm verb may choose. With <c>slurm-submit</c> the container itself is the request's <c>run</c> section
/// (validated as for <c>run</c>, except that Slurm picks the GPUs: <c>run.gpus</c> stays empty and
/// <see cref="Gpus"/> says how many); the batch script, the sbatch options and the podman options are the launcher's.
/// </summary>
public sealed record SlurmSpec
{
    /// <summary><c>slurm-submit</c>: partitions the policy lists (Slurm starts the job in whichever can run it first),
    /// or none for the cluster's default partition.</summary>
    public IReadOnlyList<string>? Partitions { get; init; }

    /// <summary><c>slurm-submit</c>: GPUs as generic resources (<c>--gres=gpu:N</c>).</summary>
    public int Gpus { get; init; }

    /// <summary><c>slurm-submit</c>: the time limit in whole minutes (<c>--time</c>); Slurm ends the job after it.</summary>
    public int? WalltimeMinutes { get; init; }

    /// <summary><c>slurm-cancel</c> and <c>slurm-log</c>: Slurm's id of the job.</summary>
    public long? JobId { get; init; }
}

/// <summary>Names shared by the launcher (which creates them) and the portal (which looks for them).</summary>
public static class SlurmNames
{
    /// <summary>The Slurm job name of a portal job: <c>squeue --name</c> finds it, and the launcher's cancel checks it.</summary>
    public static string JobName(string job) => "portal-" + job;

    /// <summary>The folder under the user's home where the job's output file lives (created by the launcher as the user).</summary>
    public const string OutputDirectory = ".portal/slurm";

    /// <summary>The job's output file under <see cref="OutputDirectory"/>; <paramref name="slurmJobId"/> is Slurm's id.</summary>
    public static string OutputFile(string job, long slurmJobId) =>
        $"portal-{job}-{slurmJobId.ToString(System.Globalization.CultureInfo.InvariantCulture)}.log";

    /// <summary>The same, as sbatch's <c>--output</c> pattern (<c>%j</c> is the job id).</summary>
    public static string OutputPattern(string job) => $"portal-{job}-%j.log";
}
