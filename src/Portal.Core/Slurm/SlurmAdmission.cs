using Portal.Core.Jobs;
using Portal.Core.Quotas;

namespace Portal.Core.Slurm;

/// <summary>A queued job the portal has not handed to Slurm yet.</summary>
/// <param name="JobId">The portal's job id.</param>
/// <param name="Owner">The owner's Linux name.</param>
/// <param name="GpuCount">GPUs it asks for.</param>
/// <param name="Priority">Its base priority: among one owner's jobs, higher goes first, then older.</param>
/// <param name="SubmittedAt">When it was submitted.</param>
public sealed record UnsubmittedJob(long JobId, string Owner, int GpuCount, int Priority, DateTimeOffset SubmittedAt);

/// <summary>What one owner has in flight on the cluster: jobs handed to Slurm (pending there or running), and the
/// GPU-hours of the quota window.</summary>
/// <param name="Quota">The owner's resolved quota.</param>
/// <param name="Jobs">Jobs handed to Slurm and not ended.</param>
/// <param name="Gpus">GPUs those jobs ask for.</param>
/// <param name="GpuSecondsInWindow">GPU-seconds used within the quota window.</param>
public sealed record OwnerInFlight(EffectiveQuota Quota, int Jobs, int Gpus, double GpuSecondsInWindow);

/// <summary>
/// The portal's own quotas in front of a Slurm cluster. Slurm places jobs and keeps its own fair share and limits; the
/// portal hands a queued job to Slurm only while its owner stays within the portal's concurrent-job, concurrent-GPU
/// and GPU-hour limits, counting every job already handed over (pending in Slurm or running) as held, since Slurm may
/// start them all at once. A job that waits here gets the same reason the one-box scheduler would give.
/// </summary>
public static class SlurmAdmission
{
    /// <summary>The decision for every job in <paramref name="queued"/>.</summary>
    /// <param name="queued">Queued jobs not handed to Slurm yet, any order.</param>
    /// <param name="inFlight">Per owner; an owner missing here has nothing in flight and the default quota.</param>
    /// <param name="defaultQuota">The quota of an owner missing from <paramref name="inFlight"/>.</param>
    public static SlurmAdmissionPlan Decide(IEnumerable<UnsubmittedJob> queued, IReadOnlyDictionary<string, OwnerInFlight> inFlight, EffectiveQuota defaultQuota)
    {
        ArgumentNullException.ThrowIfNull(queued);
        ArgumentNullException.ThrowIfNull(inFlight);
        var submit = new List<long>();
        var pending = new Dictionary<long, PendingReason>();
        foreach (var owner in queued.GroupBy(j => j.Owner, StringComparer.Ordinal))
        {
            var state = inFlight.GetValueOrDefault(owner.Key) ?? new OwnerInFlight(defaultQuota, 0, 0, 0);
            var (jobs, gpus) = (state.Jobs, state.Gpus);
            foreach (var job in owner.OrderByDescending(j => j.Priority).ThenBy(j => j.SubmittedAt).ThenBy(j => j.JobId))
            {
                PendingReason? reason =
                    jobs >= state.Quota.MaxConcurrentJobs ? PendingReason.UserJobLimit
                    : job.GpuCount > 0 && gpus + job.GpuCount > state.Quota.MaxConcurrentGpus ? PendingReason.UserGpuLimit
                    : job.GpuCount > 0 && state.GpuSecondsInWindow >= state.Quota.GpuSecondsPerWindow ? PendingReason.GpuHoursExhausted
                    : null;
                if (reason is { } waiting)
                {
                    pending[job.JobId] = waiting;
                    continue;
                }

                submit.Add(job.JobId);
                jobs++;
                gpus += job.GpuCount;
            }
        }

        return new SlurmAdmissionPlan(submit, pending);
    }
}

/// <summary>Jobs to hand to Slurm now (in order), and why the others wait.</summary>
public sealed record SlurmAdmissionPlan(IReadOnlyList<long> Submit, IReadOnlyDictionary<long, PendingReason> Pending);
