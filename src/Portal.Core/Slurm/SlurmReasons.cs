using Portal.Core.Jobs;

namespace Portal.Core.Slurm;

/// <summary>
/// Slurm's pending reasons (squeue %r) as the portal's <see cref="PendingReason"/>. The portal keeps Slurm's own word
/// beside it, so the mapping only has to say what kind of wait it is; words with no counterpart are
/// <see cref="PendingReason.Cluster"/> (the cluster's scheduler holds it; its word says why).
/// </summary>
public static class SlurmReasons
{
    public static PendingReason Map(string? reason)
    {
        if (string.IsNullOrEmpty(reason) || reason is "None")
        {
            return PendingReason.None;
        }

        // "ReqNodeNotAvail, UnavailableNodes:gpu01" and the like: the word is what comes before the comma.
        var word = reason.Split(',', 2)[0].Trim();
        return word switch
        {
            "Resources" or "Reservation" or "Licenses" => PendingReason.Resources,
            "Priority" or "PartitionNodeLimit" or "JobArrayTaskLimit" => PendingReason.Priority,
            _ when word.Contains("GRESRunMinutes", StringComparison.Ordinal) || word.Contains("BillingMinutes", StringComparison.Ordinal)
                || word.Contains("CPUMinutes", StringComparison.Ordinal) || word.Contains("RunMinutes", StringComparison.Ordinal) => PendingReason.GpuHoursExhausted,
            _ when word.Contains("GRES", StringComparison.Ordinal) => PendingReason.UserGpuLimit,
            _ when word.Contains("JobsLimit", StringComparison.Ordinal) || word.Contains("MaxJobsPer", StringComparison.Ordinal)
                || word.Contains("SubmitJob", StringComparison.Ordinal) || word.Contains("GrpJobs", StringComparison.Ordinal) => PendingReason.UserJobLimit,
            "ReqNodeNotAvail" or "NodeDown" or "PartitionDown" or "PartitionInactive" or "Nodes_required_for_job_are_DOWN,_DRAINED_or_reserved_for_jobs_in_higher_priority_partitions"
                => PendingReason.GpuDrained,
            _ => PendingReason.Cluster,
        };
    }
}
