namespace Portal.Launcher.Protocol;

/// <summary>
/// What a Slurm verb may choose. With <c>slurm-submit</c> the container itself is the request's <c>run</c> section
/// (validated as for <c>run</c>, except that Slurm picks the GPUs: <c>run.gpus</c> stays empty and
/// <see cref="Gpus"/> says how many), or for an app its <c>app</c> section (each service's GPUs a count,
/// <see cref="AppServiceSpec.GpuCount"/>, adding up to <see cref="Gpus"/>); the batch script, the sbatch options and
/// the podman options are the launcher's.
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

    /// <summary>The output file of one service of an app: its container's stdout and stderr, written on the node by
    /// the batch script beside the job's own output file (which holds what the script says about the services).</summary>
    public static string ServiceOutputFile(string job, long slurmJobId, string service) =>
        $"portal-{job}-{slurmJobId.ToString(System.Globalization.CultureInfo.InvariantCulture)}.{service}.log";

    /// <summary>How an app's batch script tells, in the job's output file, that a service started:
    /// <c>portal: service 'NAME' started</c>. The portal reads the services' states from these lines.</summary>
    public static string ServiceStartedLine(string service) => ServiceLinePrefix + service + ServiceStartedSuffix;

    /// <summary>What starts each of the script's lines about a service.</summary>
    public const string ServiceLinePrefix = "portal: service '";

    public const string ServiceStartedSuffix = "' started";

    /// <summary>Ends a line <c>portal: service 'NAME' ended, exit code N</c>.</summary>
    public const string ServiceEndedSuffix = "' ended, exit code ";

    /// <summary>The same, as sbatch's <c>--output</c> pattern (<c>%j</c> is the job id).</summary>
    public static string OutputPattern(string job) => $"portal-{job}-%j.log";

    /// <summary>The folder, on the node, of a Slurm session's socket: made by the batch script as the user (0700 in a
    /// 0700 folder of the user's), mounted into the container at <see cref="SessionRules.FolderTarget"/>, reached by
    /// <c>slurm-connect</c> through a step of the same job. Not under <c>$TMPDIR</c> or <c>/run/user</c>: the
    /// connecting step must find it from the uid and the job id alone.</summary>
    public static string NodeSessionFolder(uint uid, long slurmJobId) =>
        NodeSessionFolder(uid.ToString(System.Globalization.CultureInfo.InvariantCulture), slurmJobId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The same from the uid's and the job id's text (the batch script's <c>$(id -u)</c> and <c>$SLURM_JOB_ID</c>).</summary>
    public static string NodeSessionFolder(string uid, string slurmJobId) => $"/tmp/portal-run-{uid}/session-{slurmJobId}";
}

/// <summary>
/// The bounds of a <c>slurm-submit</c> request. The launcher refuses anything outside them, and the portal's job
/// validator checks the same numbers first, so a job the portal accepts is never refused by the launcher (Slurm may
/// still refuse what no node can give, in its own words).
/// </summary>
public static class SlurmLimits
{
    /// <summary>Slurm keeps job ids below 2^32.</summary>
    public const long MaxJobId = uint.MaxValue;

    /// <summary>A year, in minutes: past anything a partition allows, and far below what overflows Slurm's fields.</summary>
    public const int MaxWalltimeMinutes = 366 * 24 * 60;

    /// <summary>The most GPUs one job may ask of one node.</summary>
    public const int MaxGpus = 64;

    /// <summary>The most CPUs one single-node job may ask for.</summary>
    public const double MaxCpus = 4096;

    /// <summary>Memory bounds in MiB: Slurm takes whole MiB; 16 TiB is past any node.</summary>
    public const long MinMemoryMiB = 1;

    public const long MaxMemoryMiB = 16L * 1024 * 1024;
}
