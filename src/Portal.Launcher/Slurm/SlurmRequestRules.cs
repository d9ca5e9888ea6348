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
        if (r.Verb == LauncherVerbs.SlurmSubmit)
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

    private static void ValidateSubmit(RunSpec run, SlurmSpec spec, SlurmPolicy slurm)
    {
        if (spec.JobId is not null)
        {
            RequestValidator.Refuse("slurm-submit takes no slurm.jobId: Slurm assigns it.");
        }

        if (run.Gpus is { Count: > 0 })
        {
            RequestValidator.Refuse("slurm-submit takes no run.gpus: Slurm picks the GPUs; ask for a number in slurm.gpus.");
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

        if (run.Cpus is { } cpus && !(double.IsFinite(cpus) && cpus > 0 && cpus <= SlurmLimits.MaxCpus))
        {
            RequestValidator.Refuse($"cpus must be above 0 and at most {SlurmLimits.MaxCpus}.");
        }

        if (run.MemoryMiB is { } memory && (memory < SlurmLimits.MinMemoryMiB || memory > SlurmLimits.MaxMemoryMiB))
        {
            RequestValidator.Refuse($"memoryMiB must be between {SlurmLimits.MinMemoryMiB} and {SlurmLimits.MaxMemoryMiB}.");
        }

        if (run.Session is { } session)
        {
            if (!slurm.AllowsSessions)
            {
                RequestValidator.Refuse(NoSessions);
            }

            if (SessionRules.Problem(session, run.Command?.Count ?? 0) is { } problem)
            {
                RequestValidator.Refuse(problem);
            }
        }
    }
}
