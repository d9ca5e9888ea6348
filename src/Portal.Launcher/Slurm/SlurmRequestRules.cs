using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;

namespace Portal.Launcher.Slurm;

/// <summary>What a Slurm verb's request may say, decided from the request and the policy alone (the part of
/// <see cref="RequestValidator"/> that belongs to Slurm).</summary>
internal static class SlurmRequestRules
{
    public static bool IsSlurmVerb(string verb) =>
        verb is LauncherVerbs.SlurmSubmit or LauncherVerbs.SlurmCancel or LauncherVerbs.SlurmLog or LauncherVerbs.SlurmConnect;

    private const string NoSessions =
        "The launcher policy's slurm section names no nodeBridge (the nodes' sockbridge): interactive sessions do not run on the cluster.";

    public static void Validate(LauncherRequest r, LauncherPolicy policy)
    {
        if (!IsSlurmVerb(r.Verb))
        {
            return;
        }

        if (policy.Slurm is null)
        {
            RequestValidator.Refuse($"'{r.Verb}' needs a slurm section in the launcher policy; this host does not submit to Slurm.");
        }

        SlurmSpec spec = r.Slurm!;
        if (r.Verb == LauncherVerbs.SlurmSubmit && r.App is { } app)
        {
            ValidateApp(app, spec, policy.Slurm);
        }
        else if (r.Verb == LauncherVerbs.SlurmSubmit)
        {
            ValidateSubmit(r.Run!, spec, policy.Slurm);
        }
        else
        {
            if (spec.JobId is not { } id || id < 1 || id > SlurmLimits.MaxJobId)
            {
                RequestValidator.Refuse($"'{r.Verb}' needs slurm.jobId, Slurm's job id (1 to {SlurmLimits.MaxJobId}).");
            }

            if (spec.Partitions is not null || spec.Gpus != 0 || spec.WalltimeMinutes is not null)
            {
                RequestValidator.Refuse($"'{r.Verb}' takes only slurm.jobId.");
            }

            if (r.Verb == LauncherVerbs.SlurmConnect && !policy.Slurm.AllowsSessions)
            {
                RequestValidator.Refuse(NoSessions);
            }
        }
    }

    /// <summary>An app as one Slurm job: its services' GPU counts add up to the job's, and its services' CPUs and memory,
    /// summed as the job asks Slurm for them (<see cref="AppTotals"/>), are within the bounds of one job's.</summary>
    private static void ValidateApp(AppSpec app, SlurmSpec spec, SlurmPolicy slurm)
    {
        // AppValidator has checked each service's shape and GPU count; what is left is the job as a whole.
        int gpus = app.Services.Sum(s => s.GpuCount ?? 0);
        if (gpus != spec.Gpus)
        {
            RequestValidator.Refuse($"The app's services take {gpus} GPUs in all (gpuCount), but slurm.gpus asks Slurm for {spec.Gpus}.");
        }

        (double? cpus, long? memory) = AppTotals(app);
        ValidateJob(spec, slurm, cpus, memory, app.Services.Any(s => s.Run.Session is not null), "The app's services' ");
    }

    /// <summary>What an app asks Slurm for: the sum of its services' CPUs and memory (a service that names none adds
    /// nothing; when no service names any, Slurm's defaults apply, as for a job).</summary>
    public static (double? Cpus, long? MemoryMiB) AppTotals(AppSpec app)
    {
        ArgumentNullException.ThrowIfNull(app);
        double? cpus = app.Services.Any(s => s.Run.Cpus is not null) ? app.Services.Sum(s => s.Run.Cpus ?? 0) : null;
        long? memory = app.Services.Any(s => s.Run.MemoryMiB is not null) ? app.Services.Sum(s => s.Run.MemoryMiB ?? 0) : null;
        return (cpus, memory);
    }

    private static void ValidateSubmit(RunSpec run, SlurmSpec spec, SlurmPolicy slurm)
    {
        if (run.Gpus is { Count: > 0 })
        {
            RequestValidator.Refuse("slurm-submit takes no run.gpus: Slurm picks the GPUs; ask for a number in slurm.gpus.");
        }

        // The session's shape is RunRules' (checked with the run section); whether the cluster runs sessions is the policy's.
        ValidateJob(spec, slurm, run.Cpus, run.MemoryMiB, run.Session is not null, "");
    }

    /// <summary>The rules of every submission: the slurm section, and what the job as a whole asks of one node.</summary>
    private static void ValidateJob(SlurmSpec spec, SlurmPolicy slurm, double? cpus, long? memory, bool session, string whose)
    {
        if (spec.JobId is not null)
        {
            RequestValidator.Refuse("slurm-submit takes no slurm.jobId: Slurm assigns it.");
        }

        if (spec.Gpus is < 0 or > SlurmLimits.MaxGpus)
        {
            RequestValidator.Refuse($"slurm.gpus must be between 0 and {SlurmLimits.MaxGpus}.");
        }

        if (spec.WalltimeMinutes is { } minutes && (minutes < 1 || minutes > SlurmLimits.MaxWalltimeMinutes))
        {
            RequestValidator.Refuse($"slurm.walltimeMinutes must be between 1 and {SlurmLimits.MaxWalltimeMinutes}.");
        }

        IReadOnlyList<string> partitions = spec.Partitions ?? [];
        if (partitions.Count > 16 || partitions.Distinct(StringComparer.Ordinal).Count() != partitions.Count)
        {
            RequestValidator.Refuse("slurm.partitions names at most 16 partitions, each once.");
        }

        foreach (string partition in partitions)
        {
            if (!slurm.Partitions.Contains(partition, StringComparer.Ordinal))
            {
                RequestValidator.Refuse($"Partition '{UntrustedText.Printable(partition)}' is not one the launcher policy allows"
                    + (slurm.Partitions.Count == 0 ? " (it allows only the cluster's default)." : $" ({string.Join(", ", slurm.Partitions)})."));
            }
        }

        string inAll = whose.Length > 0 ? " in all" : "";
        if (cpus is { } c && !(double.IsFinite(c) && c > 0 && c <= SlurmLimits.MaxCpus))
        {
            RequestValidator.Refuse($"{whose}cpus must be above 0 and at most {SlurmLimits.MaxCpus}{inAll}.");
        }

        if (memory is { } m && (m < SlurmLimits.MinMemoryMiB || m > SlurmLimits.MaxMemoryMiB))
        {
            RequestValidator.Refuse($"{whose}memoryMiB must be between {SlurmLimits.MinMemoryMiB} and {SlurmLimits.MaxMemoryMiB}{inAll}.");
        }

        if (session && !slurm.AllowsSessions)
        {
            RequestValidator.Refuse(NoSessions);
        }
    }
}
