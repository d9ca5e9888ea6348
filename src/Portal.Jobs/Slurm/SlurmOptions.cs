namespace Portal.Jobs.Slurm;

/// <summary>
/// How the portal reaches a Slurm cluster (section "Portal:Slurm"), used when <c>Portal:Backend</c> is <c>slurm</c>.
/// The portal's own queries (squeue, scontrol, sinfo, sacct) run as the portal's account; submitting and cancelling
/// run as each job's owner through the launcher, whose policy names the cluster too.
/// </summary>
public sealed class SlurmOptions
{
    public const string SectionName = "Portal:Slurm";

    /// <summary>The partitions jobs go to (Slurm starts each in whichever can run it first); empty for the cluster's
    /// default partition. Each must be listed in the launcher policy's slurm section.</summary>
    public IList<string> Partitions { get; } = [];

    /// <summary>The cluster's slurm.conf when it is not where Slurm looks by default (given to the tools as SLURM_CONF).</summary>
    public string? ConfigFile { get; set; }

    /// <summary>Where squeue, scontrol, sinfo and sacct are.</summary>
    public string BinDirectory { get; set; } = "/usr/bin";

    /// <summary>One squeue for every job the portal follows, this often: Slurm's state, reason and node reach the job
    /// pages within one interval.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the dashboard's node list (one sinfo) is refreshed; shared by every browser.</summary>
    public TimeSpan NodeRefresh { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The longest one Slurm command may take; slurmctld under load answers slowly, not never.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Ask sacct about jobs squeue no longer shows: true, false, or null to use it exactly when the cluster
    /// keeps accounting in slurmdbd (<c>AccountingStorageType=accounting_storage/slurmdbd</c>).</summary>
    public bool? UseAccounting { get; set; }
}
