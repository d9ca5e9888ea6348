using Portal.Core.Quotas;
using Portal.Core.Scheduling;
using Portal.Launcher.Protocol;

namespace Portal.Core.Jobs;

/// <summary>What the validator needs to know about the submitter and the box, gathered by the caller.</summary>
/// <param name="IsAdmin">Administrators may pick specific GPUs and set a priority.</param>
/// <param name="Quota">The submitter's resolved quota.</param>
/// <param name="QueuedJobsOfOwner">How many jobs the submitter already has queued.</param>
/// <param name="AllowedMountRoots">The host folders the submitter may mount from (their home, projects, shared datasets).</param>
/// <param name="GpuUuidsOnBox">Every GPU the box has, drained or not.</param>
/// <param name="Host">The CPUs and memory the box gives jobs in total, when the scheduler models them.</param>
/// <param name="Cluster">Set when jobs go to a Slurm cluster instead of this box: what one job can get there.</param>
public sealed record JobSubmitContext(
    bool IsAdmin,
    EffectiveQuota Quota,
    int QueuedJobsOfOwner,
    IReadOnlyList<MountRoot> AllowedMountRoots,
    IReadOnlyCollection<string> GpuUuidsOnBox,
    HostCapacity? Host = null,
    ClusterCapacity? Cluster = null);

/// <summary>What one job can get on a Slurm cluster (jobs run on one node). Slurm itself refuses what no node can
/// give (too many CPUs, too much memory); the portal then fails the job with Slurm's words.</summary>
/// <param name="MaxGpusPerNode">GPUs of the largest node that is up.</param>
/// <param name="Sessions">Whether interactive sessions run on the cluster (the launcher policy names the nodes'
/// sockbridge); without it the launcher would refuse them, so the portal does first.</param>
public sealed record ClusterCapacity(int MaxGpusPerNode, bool Sessions = false)
{
    /// <summary>The longest walltime Slurm is asked for (the launcher's bound).</summary>
    public static TimeSpan MaxWalltime { get; } = TimeSpan.FromMinutes(Portal.Launcher.Protocol.SlurmLimits.MaxWalltimeMinutes);
}

/// <summary>One problem with one form field. <see cref="Field"/> is the <see cref="JobSpec"/> property name, which is
/// also the submit form's field name; an empty field means the whole submission.</summary>
public sealed record FieldError(string Field, string Message);
