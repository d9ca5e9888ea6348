using System.Globalization;
using Portal.Launcher.Native;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Slurm;

/// <summary>The argv and environment of the Slurm tools, built from a validated request. Pure, like PodmanArgs.</summary>
internal static class SlurmArgs
{
    /// <summary>Separates squeue's fields: a job name or comment can hold any printable character, but not this.</summary>
    public const char UnitSeparator = '\x1f';

    /// <summary>The comment that names the job's environment file (so a cancel before the start can delete it).</summary>
    public const string EnvCommentPrefix = "portal-env:";

    /// <param name="slurm">The policy's slurm section.</param>
    /// <param name="job">The portal's job.</param>
    /// <param name="cpus">The CPUs the job asks for (an app's, its services' sum); null for Slurm's default.</param>
    /// <param name="memoryMiB">The memory it asks for, likewise.</param>
    /// <param name="spec">The request's slurm section.</param>
    /// <param name="user">The owner.</param>
    /// <param name="envToken">The random part of the job's environment files' names, carried as its comment.</param>
    public static List<string> Sbatch(SlurmPolicy slurm, string job, double? cpus, long? memoryMiB, SlurmSpec spec, UserAccount user, string? envToken)
    {
        ArgumentNullException.ThrowIfNull(slurm);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(user);
        var argv = new List<string>
        {
            slurm.Sbatch, "--parsable", "--export=NONE",
            "--job-name=" + SlurmNames.JobName(job),
            "--chdir=" + user.Home,
            "--output=" + Path.Combine(user.Home, SlurmNames.OutputDirectory, SlurmNames.OutputPattern(job)),
            "--open-mode=append",
            "--no-requeue",
            "--nodes=1",
            "--ntasks=1",
            // Slurm counts whole CPUs; a fraction asks for the next whole one.
            "--cpus-per-task=" + Math.Max(1, (int)Math.Ceiling(cpus ?? 1)).ToString(CultureInfo.InvariantCulture),
        };
        if (memoryMiB is { } memory)
        {
            argv.Add("--mem=" + memory.ToString(CultureInfo.InvariantCulture) + "M");
        }

        if (spec.Gpus > 0)
        {
            argv.Add("--gres=gpu:" + spec.Gpus.ToString(CultureInfo.InvariantCulture));
        }

        if (spec.WalltimeMinutes is { } minutes)
        {
            argv.Add("--time=" + minutes.ToString(CultureInfo.InvariantCulture));
        }

        if (spec.Partitions is { Count: > 0 } partitions)
        {
            // Several partitions: Slurm starts the job in the one that can run it first.
            argv.Add("--partition=" + string.Join(',', partitions));
        }

        if (envToken is not null)
        {
            argv.Add("--comment=" + EnvCommentPrefix + envToken);
        }

        return argv;
    }

    /// <summary>The one squeue of a cancel's ownership check: uid, name, state and comment of exactly that job.</summary>
    public static List<string> OwnerQuery(SlurmPolicy slurm, long jobId) =>
        [slurm.Squeue, "--noheader", "--states=all", "--jobs=" + jobId.ToString(CultureInfo.InvariantCulture),
            "--format=" + string.Join(UnitSeparator, "%U", "%j", "%T", "%k")];

    /// <summary>scancel of exactly that job, and only if Slurm agrees it is this user's and has this name.</summary>
    public static List<string> Scancel(SlurmPolicy slurm, string user, string job, long jobId) =>
        [slurm.Scancel, "--user=" + user, "--name=" + SlurmNames.JobName(job), jobId.ToString(CultureInfo.InvariantCulture)];

    /// <summary>
    /// The relay step of <c>slurm-connect</c>: one task in the user's running job, sharing its resources
    /// (<c>--overlap</c>: the batch step holds them all), unbuffered both ways, with none of the caller's environment,
    /// running the node's sockbridge against the app's socket.
    /// </summary>
    public static List<string> Connect(SlurmPolicy slurm, long jobId, string socket)
    {
        ArgumentNullException.ThrowIfNull(slurm);
        return [slurm.Srun, "--jobid=" + jobId.ToString(CultureInfo.InvariantCulture), "--overlap", "--unbuffered", "--quiet",
            "--nodes=1", "--ntasks=1", "--export=NONE", "--job-name=portal-relay", "--",
            slurm.NodeBridge ?? throw new InvalidOperationException("The policy names no nodeBridge."), "--connect", socket];
    }

    /// <summary>tail of the job's output file: all of it or the last lines, and with follow, what it gains, also once
    /// a pending job's file appears.</summary>
    public static List<string> Tail(SlurmPolicy slurm, string path, LogsSpec? logs)
    {
        var argv = new List<string> { slurm.Tail, "--lines=" + (logs?.Tail is { } n ? n.ToString(CultureInfo.InvariantCulture) : "+1") };
        if (logs?.Follow == true)
        {
            argv.AddRange(["--follow=name", "--retry", "--sleep-interval=0.5"]);
        }

        argv.AddRange(["--", path]);
        return argv;
    }

    /// <summary>The whole environment of a Slurm tool: the user's basics, and the cluster's configuration file when
    /// the policy names one.</summary>
    public static Dictionary<string, string> Environment(UserAccount user, SlurmPolicy slurm)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(slurm);
        var env = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["HOME"] = user.Home,
            ["USER"] = user.Name,
            ["LOGNAME"] = user.Name,
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
            ["LANG"] = "C.UTF-8",
        };
        if (slurm.Config is { } config)
        {
            env["SLURM_CONF"] = config;
        }

        return env;
    }
}
