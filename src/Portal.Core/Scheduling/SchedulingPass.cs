using Portal.Core.Jobs;
using Portal.Core.Quotas;

namespace Portal.Core.Scheduling;

/// <summary>The mutable bookkeeping of one <see cref="Scheduler.Plan"/> call: free GPUs, per-owner counts and the
/// reservation, updated as jobs are considered in rank order.</summary>
internal sealed class SchedulingPass
{
    private readonly SchedulingSnapshot _snapshot;
    private readonly DateTimeOffset _now;
    private readonly Dictionary<string, SchedulableGpu> _gpuByUuid;
    private readonly int _undrainedGpus;
    private readonly List<SchedulableGpu> _free;
    private readonly List<(DateTimeOffset EndsBy, SchedulableGpu Gpu)> _busyUndrained = [];
    private readonly Dictionary<string, OwnerState> _owners = new(StringComparer.Ordinal);
    private readonly List<JobStart> _starts = [];
    private readonly Dictionary<long, PendingReason> _pending;
    private readonly List<long> _walltimeExceeded = [];
    private GpuReservation? _reservation;
    private HashSet<string> _reserved = new(StringComparer.Ordinal);

    public SchedulingPass(SchedulingSnapshot snapshot, DateTimeOffset now)
    {
        _snapshot = snapshot;
        _now = now;
        _pending = new Dictionary<long, PendingReason>(snapshot.Queued.Count);
        _gpuByUuid = snapshot.Gpus.ToDictionary(g => g.Uuid, StringComparer.Ordinal);
        _undrainedGpus = snapshot.Gpus.Count(g => !g.Drained);
        var held = new HashSet<string>(StringComparer.Ordinal);
        foreach (var running in snapshot.Running)
        {
            var owner = Owner(running.Owner);
            owner.RunningJobs++;
            owner.RunningGpus += running.GpuUuids.Count;
            if (_now >= running.EndsBy)
            {
                _walltimeExceeded.Add(running.JobId);
            }

            foreach (var uuid in running.GpuUuids)
            {
                held.Add(uuid);
                if (_gpuByUuid.TryGetValue(uuid, out var gpu) && !gpu.Drained)
                {
                    _busyUndrained.Add((running.EndsBy, gpu));
                }
            }
        }

        _free = snapshot.Gpus.Where(g => !g.Drained && !held.Contains(g.Uuid)).OrderBy(g => g.Index).ToList();
    }

    public void Consider(QueuedJob job)
    {
        var owner = Owner(job.Owner);
        var refusal = Admission(job, owner);
        if (refusal is { } reason)
        {
            _pending[job.JobId] = reason;
            return;
        }

        var gpus = job.GpuCount == 0 ? [] : Pick(job);
        if (gpus is not null)
        {
            Start(job, owner, gpus);
        }
        else if (_reservation is null)
        {
            Reserve(job);
            _pending[job.JobId] = PendingReason.Resources;
        }
        else
        {
            _pending[job.JobId] = PendingReason.Priority;
        }
    }

    public SchedulingPlan ToPlan() => new(_starts, _pending, _walltimeExceeded, _reservation);

    /// <summary>Reasons that do not depend on which GPUs are free right now.</summary>
    private PendingReason? Admission(QueuedJob job, OwnerState owner)
    {
        if (job.SpecificGpuUuids.Count > 0)
        {
            if (job.SpecificGpuUuids.Any(u => !_gpuByUuid.TryGetValue(u, out var gpu) || gpu.Drained))
            {
                return PendingReason.GpuDrained;
            }
        }
        else if (job.GpuCount > _undrainedGpus)
        {
            return PendingReason.GpuDrained;
        }

        var quota = owner.Quota;
        if (owner.RunningJobs >= quota.MaxConcurrentJobs)
        {
            return PendingReason.UserJobLimit;
        }

        if (job.GpuCount > 0 && owner.RunningGpus + job.GpuCount > quota.MaxConcurrentGpus)
        {
            return PendingReason.UserGpuLimit;
        }

        if (job.GpuCount > 0 && owner.GpuSecondsInWindow >= quota.GpuSecondsPerWindow)
        {
            return PendingReason.GpuHoursExhausted;
        }

        return null;
    }

    /// <summary>Free GPUs for <paramref name="job"/> that do not delay the reservation, or null.</summary>
    private List<string>? Pick(QueuedJob job)
    {
        if (_free.Count < job.GpuCount)
        {
            return null;
        }

        // A job that is sure to be gone before the reserved job can start may borrow the reserved GPUs.
        var mayUseReserved = _reservation is null || _now + job.Walltime <= _reservation.StartsBy;
        if (job.SpecificGpuUuids.Count > 0)
        {
            var allFree = job.SpecificGpuUuids.All(u => _free.Exists(g => g.Uuid == u));
            var clear = mayUseReserved || !job.SpecificGpuUuids.Any(_reserved.Contains);
            return allFree && clear ? job.SpecificGpuUuids.ToList() : null;
        }

        var picked = new List<string>(job.GpuCount);
        foreach (var gpu in _free)
        {
            if (mayUseReserved || !_reserved.Contains(gpu.Uuid))
            {
                picked.Add(gpu.Uuid);
                if (picked.Count == job.GpuCount)
                {
                    return picked;
                }
            }
        }

        return null;
    }

    private void Start(QueuedJob job, OwnerState owner, List<string> gpus)
    {
        _starts.Add(new JobStart(job.JobId, gpus));
        owner.RunningJobs++;
        owner.RunningGpus += gpus.Count;
        var endsBy = _now + job.Walltime;
        foreach (var uuid in gpus)
        {
            var gpu = _gpuByUuid[uuid];
            _free.Remove(gpu);
            _busyUndrained.Add((endsBy, gpu));
        }
    }

    /// <summary>Promises <paramref name="job"/> the GPUs that free up soonest (by walltime), so later jobs can only
    /// backfill around it.</summary>
    private void Reserve(QueuedJob job)
    {
        var reserved = new List<string>();
        var startsBy = _now;
        if (job.SpecificGpuUuids.Count > 0)
        {
            foreach (var (endsBy, gpu) in _busyUndrained)
            {
                if (job.SpecificGpuUuids.Contains(gpu.Uuid) && endsBy > startsBy)
                {
                    startsBy = endsBy;
                }
            }

            reserved.AddRange(job.SpecificGpuUuids);
        }
        else
        {
            // The reserved job can start once enough busy GPUs have freed up (by walltime). Every busy GPU free by
            // then is a candidate, and those are reserved before free ones: a GPU that is free now but not reserved
            // stays open to backfill jobs of any length.
            var busy = _busyUndrained.OrderBy(b => b.EndsBy).ThenBy(b => b.Gpu.Index).ToList();
            var needed = 0;
            while (_free.Count + needed < job.GpuCount && needed < busy.Count)
            {
                startsBy = busy[needed].EndsBy > startsBy ? busy[needed].EndsBy : startsBy;
                needed++;
            }

            reserved.AddRange(busy.TakeWhile(b => b.EndsBy <= startsBy).Take(job.GpuCount).Select(b => b.Gpu.Uuid));
            reserved.AddRange(_free.Take(job.GpuCount - reserved.Count).Select(g => g.Uuid));
        }

        _reservation = new GpuReservation(job.JobId, startsBy, reserved);
        _reserved = new HashSet<string>(reserved, StringComparer.Ordinal);
    }

    private OwnerState Owner(string owner)
    {
        if (!_owners.TryGetValue(owner, out var state))
        {
            state = new OwnerState(
                _snapshot.QuotaByOwner.GetValueOrDefault(owner) ?? _snapshot.DefaultQuota,
                _snapshot.GpuSecondsInWindowByOwner.GetValueOrDefault(owner));
            _owners[owner] = state;
        }

        return state;
    }

    private sealed class OwnerState(EffectiveQuota quota, double gpuSecondsInWindow)
    {
        public EffectiveQuota Quota { get; } = quota;

        public double GpuSecondsInWindow { get; } = gpuSecondsInWindow;

        public int RunningJobs { get; set; }

        public int RunningGpus { get; set; }
    }
}
