using Portal.Core.Jobs;
using Portal.Core.Quotas;

namespace Portal.Core.Scheduling;

/// <summary>A GPU as the scheduler sees it.</summary>
/// <param name="Uuid">Its stable identity.</param>
/// <param name="Index">The driver index; only used to hand out GPUs in a predictable order.</param>
/// <param name="Drained">True when an administrator drained it: running jobs finish, no new job lands on it.</param>
public sealed record SchedulableGpu(string Uuid, int Index, bool Drained)
{
    /// <summary>The scheduler's view of a discovered GPU and its stored drain flag.</summary>
    public static SchedulableGpu From(Gpus.GpuDevice device, bool drained)
    {
        ArgumentNullException.ThrowIfNull(device);
        return new(device.Uuid, device.Index, drained);
    }
}

/// <summary>A job waiting in the queue.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Owner">Its owner.</param>
/// <param name="GpuCount">How many GPUs it needs (0 for CPU-only).</param>
/// <param name="SpecificGpuUuids">The exact GPUs it needs (administrators only), or empty for any.</param>
/// <param name="Priority">Its base priority.</param>
/// <param name="SubmittedAt">When it was queued; the tie-breaker and the basis of aging.</param>
/// <param name="Walltime">Its time limit, which bounds when its GPUs free up again (what backfill relies on).</param>
/// <param name="Cpus">CPU cores it needs; counted only when the snapshot has a <see cref="HostCapacity"/>.</param>
/// <param name="MemoryMiB">Memory it needs; counted only when the snapshot has a <see cref="HostCapacity"/>.</param>
public sealed record QueuedJob(
    long JobId,
    string Owner,
    int GpuCount,
    IReadOnlyList<string> SpecificGpuUuids,
    int Priority,
    DateTimeOffset SubmittedAt,
    TimeSpan Walltime,
    double Cpus = 0,
    long MemoryMiB = 0)
{
    /// <summary>The scheduler's view of a queued <see cref="Job"/>.</summary>
    public static QueuedJob From(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return new(job.Id, job.Owner, job.Spec.Gpus.Count, job.Spec.Gpus.SpecificUuids, job.Spec.Priority, job.SubmittedAt,
            job.Spec.Walltime, job.Spec.Cpus, job.Spec.MemoryMiB);
    }
}

/// <summary>A job holding GPUs (starting or running).</summary>
/// <param name="JobId">The job.</param>
/// <param name="Owner">Its owner.</param>
/// <param name="GpuUuids">The GPUs it holds.</param>
/// <param name="StartedAt">When it got them.</param>
/// <param name="Walltime">Its time limit: it is stopped at <paramref name="StartedAt"/> + <paramref name="Walltime"/>.</param>
/// <param name="Cpus">CPU cores it holds.</param>
/// <param name="MemoryMiB">Memory it holds.</param>
public sealed record RunningJob(
    long JobId,
    string Owner,
    IReadOnlyList<string> GpuUuids,
    DateTimeOffset StartedAt,
    TimeSpan Walltime,
    double Cpus = 0,
    long MemoryMiB = 0)
{
    /// <summary>The latest moment it can still hold its GPUs.</summary>
    public DateTimeOffset EndsBy => StartedAt + Walltime;

    /// <summary>The scheduler's view of a starting or running <see cref="Job"/>.</summary>
    public static RunningJob From(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        var startedAt = job.StartedAt ?? throw new ArgumentException($"Job {job.Id} has not started.", nameof(job));
        return new(job.Id, job.Owner, job.AssignedGpuUuids, startedAt, job.Spec.Walltime, job.Spec.Cpus, job.Spec.MemoryMiB);
    }
}

/// <summary>Everything one scheduling pass looks at. The caller reads it from the database in one go, so the pass
/// itself is a pure function of this snapshot and the clock.</summary>
/// <param name="Gpus">Every GPU on the box, drained or not.</param>
/// <param name="Queued">The queued jobs, in any order.</param>
/// <param name="Running">The jobs holding GPUs (starting or running).</param>
/// <param name="QuotaByOwner">Each owner's resolved quota; owners missing here get <paramref name="DefaultQuota"/>.</param>
/// <param name="DefaultQuota">The quota of owners without an entry.</param>
/// <param name="GpuSecondsInWindowByOwner">Each owner's GPU-seconds in their rolling window up to now, running jobs
/// included (see <see cref="GpuAccounting"/>); owners missing here used none.</param>
/// <param name="Capacity">The CPU cores and memory jobs may use on the box in total; null to schedule GPUs only.</param>
/// <param name="Bookings">GPUs booked for a holder over a window (see <see cref="Bookings.GpuBooking"/>); null or
/// empty when there are none. Bookings that have ended are ignored.</param>
public sealed record SchedulingSnapshot(
    IReadOnlyList<SchedulableGpu> Gpus,
    IReadOnlyList<QueuedJob> Queued,
    IReadOnlyList<RunningJob> Running,
    IReadOnlyDictionary<string, EffectiveQuota> QuotaByOwner,
    EffectiveQuota DefaultQuota,
    IReadOnlyDictionary<string, double> GpuSecondsInWindowByOwner,
    HostCapacity? Capacity = null,
    IReadOnlyList<Bookings.GpuBooking>? Bookings = null)
{
    /// <summary>
    /// Builds a snapshot from job entities: queued jobs go in the queue, starting and running ones hold resources, and
    /// every job that held GPUs counts towards its owner's usage over the owner's own window up to <paramref name="now"/>.
    /// </summary>
    /// <param name="jobs">Queued and GPU-holding jobs, plus finished ones that may still fall in a quota window
    /// (those that ended within the longest window; older ones add nothing).</param>
    /// <param name="gpus">Every GPU with its drain flag.</param>
    /// <param name="quotaByOwner">Resolved quotas by owner.</param>
    /// <param name="defaultQuota">The quota of owners not in <paramref name="quotaByOwner"/>.</param>
    /// <param name="now">The time the pass runs at.</param>
    /// <param name="capacity">The host's CPUs and memory for jobs, or null to schedule GPUs only.</param>
    /// <param name="bookings">The bookings that have not ended, holders named by the Linux account their jobs run as.</param>
    public static SchedulingSnapshot FromJobs(
        IEnumerable<Job> jobs,
        IReadOnlyList<SchedulableGpu> gpus,
        IReadOnlyDictionary<string, EffectiveQuota> quotaByOwner,
        EffectiveQuota defaultQuota,
        DateTimeOffset now,
        HostCapacity? capacity = null,
        IReadOnlyList<Bookings.GpuBooking>? bookings = null)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(quotaByOwner);
        var queued = new List<QueuedJob>();
        var running = new List<RunningJob>();
        var usage = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var job in jobs)
        {
            if (job.State == JobState.Queued)
            {
                queued.Add(QueuedJob.From(job));
            }
            else if (job.State.HoldsGpus())
            {
                running.Add(RunningJob.From(job));
            }

            if (job.UsageInterval() is { } interval)
            {
                var window = (quotaByOwner.GetValueOrDefault(job.Owner) ?? defaultQuota).Window;
                usage[job.Owner] = usage.GetValueOrDefault(job.Owner) + interval.GpuSecondsWithin(now - window, now);
            }
        }

        return new SchedulingSnapshot(gpus, queued, running, quotaByOwner, defaultQuota, usage, capacity, bookings);
    }
}

/// <summary>What the box can give jobs in total, beyond GPUs (leave some for the system and the portal).</summary>
/// <param name="Cpus">CPU cores.</param>
/// <param name="MemoryMiB">Memory in MiB.</param>
public sealed record HostCapacity(double Cpus, long MemoryMiB);
