using Portal.Core.Bookings;
using Portal.Core.Jobs;
using Portal.Core.Quotas;

namespace Portal.Core.Scheduling;

/// <summary>The mutable bookkeeping of one <see cref="Scheduler.Plan"/> call: free GPUs, CPUs and memory, per-owner
/// counts and the reservation, updated as jobs are considered in rank order.</summary>
internal sealed class SchedulingPass
{
    private readonly SchedulingSnapshot _snapshot;
    private readonly DateTimeOffset _now;
    private readonly Dictionary<string, SchedulableGpu> _gpuByUuid;
    private readonly int _undrainedGpus;
    private readonly List<SchedulableGpu> _free;
    private readonly List<Release> _releases = [];
    private readonly Dictionary<string, OwnerState> _owners = new(StringComparer.Ordinal);
    private readonly List<JobStart> _starts = [];
    private readonly Dictionary<long, PendingReason> _pending;
    private readonly List<long> _walltimeExceeded = [];

    // Bookings that have not ended, summed up per GPU; empty on most boxes, so the common pass pays nothing for them.
    private readonly Dictionary<string, GpuBookings> _bookingsByGpu = new(StringComparer.Ordinal);

    // Without a HostCapacity, CPUs and memory are unlimited: infinity keeps the arithmetic uniform.
    private readonly double _capacityCpus;
    private readonly double _capacityMemoryMiB;
    private double _freeCpus;
    private double _freeMemoryMiB;

    private Reservation? _reservation;
    private HashSet<string> _reserved = new(StringComparer.Ordinal);
    private double _spareCpusAtReservation = double.PositiveInfinity;
    private double _spareMemoryMiBAtReservation = double.PositiveInfinity;

    public SchedulingPass(SchedulingSnapshot snapshot, DateTimeOffset now)
    {
        _snapshot = snapshot;
        _now = now;
        _pending = new Dictionary<long, PendingReason>(snapshot.Queued.Count);
        _gpuByUuid = snapshot.Gpus.ToDictionary(g => g.Uuid, StringComparer.Ordinal);
        _undrainedGpus = snapshot.Gpus.Count(g => !g.Drained);
        _capacityCpus = _freeCpus = snapshot.Capacity?.Cpus ?? double.PositiveInfinity;
        _capacityMemoryMiB = _freeMemoryMiB = snapshot.Capacity?.MemoryMiB ?? double.PositiveInfinity;
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

            held.UnionWith(running.GpuUuids);
            _freeCpus -= running.Cpus;
            _freeMemoryMiB -= running.MemoryMiB;
            AddRelease(running.EndsBy, running.GpuUuids, running.Cpus, running.MemoryMiB);
        }

        _free = snapshot.Gpus.Where(g => !g.Drained && !held.Contains(g.Uuid)).OrderBy(g => g.Index).ToList();
        foreach (var group in (snapshot.Bookings ?? []).Where(b => b.End > now).SelectMany(b => b.GpuUuids, (b, uuid) => (b, uuid)).GroupBy(x => x.uuid))
        {
            _bookingsByGpu[group.Key] = GpuBookings.Of(group.Select(x => x.b), now);
        }
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

        var gpus = Pick(job, out var outlastsReservation, out var heldByBooking);
        if (gpus is not null)
        {
            Start(job, owner, gpus, outlastsReservation);
        }
        else if (heldByBooking)
        {
            // It would start now but for someone else's booking: it waits for the booking, not for resources.
            _pending[job.JobId] = PendingReason.Booked;
        }
        else if (_reservation is null)
        {
            // A job too big for the box never gets a reservation: it would block everyone behind it for nothing.
            Reserve(job);
            _pending[job.JobId] = PendingReason.Resources;
        }
        else
        {
            _pending[job.JobId] = PendingReason.Priority;
        }
    }

    public SchedulingPlan ToPlan() => new(_starts, _pending, _walltimeExceeded, _reservation);

    /// <summary>Reasons that do not depend on what is free right now.</summary>
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

    /// <summary>The GPUs <paramref name="job"/> can start on now without delaying the reservation, or null.</summary>
    /// <param name="job">The job.</param>
    /// <param name="outlastsReservation">True when the job would still run when the reserved job is due to start,
    /// so it must stay clear of what is reserved.</param>
    /// <param name="heldByBooking">True when the job does not start only because GPUs are booked for someone else.</param>
    private List<string>? Pick(QueuedJob job, out bool outlastsReservation, out bool heldByBooking)
    {
        heldByBooking = false;
        var picked = PickFor(job, out outlastsReservation, _bookingsByGpu.Count > 0);
        if (picked is null && _bookingsByGpu.Count > 0 && job.GpuCount > 0)
        {
            heldByBooking = PickFor(job, out _, honourBookings: false) is not null;
        }

        return picked;
    }

    /// <summary>Whether someone else's booking covers <paramref name="uuid"/> at any time the job could run.</summary>
    private bool BookedForOthers(string uuid, string owner, DateTimeOffset jobEndsBy) =>
        _bookingsByGpu.TryGetValue(uuid, out var bookings) && bookings.FirstStartNotHeldBy(owner) < jobEndsBy;

    /// <summary>Whether the owner's own booking is in force on <paramref name="uuid"/> now.</summary>
    private bool BookedForOwnerNow(string uuid, string owner) =>
        _bookingsByGpu.TryGetValue(uuid, out var bookings) && bookings.ActiveHolder == owner;

    private bool Usable(string uuid, string owner, DateTimeOffset jobEndsBy, bool outlastsReservation, bool honourBookings) =>
        (!outlastsReservation || !_reserved.Contains(uuid)) && (!honourBookings || !BookedForOthers(uuid, owner, jobEndsBy));

    private List<string>? PickFor(QueuedJob job, out bool outlastsReservation, bool honourBookings)
    {
        outlastsReservation = _reservation is not null && _now + job.Walltime > _reservation.StartsBy;
        if (_free.Count < job.GpuCount || job.Cpus > _freeCpus || job.MemoryMiB > _freeMemoryMiB)
        {
            return null;
        }

        if (outlastsReservation && (job.Cpus > _spareCpusAtReservation || job.MemoryMiB > _spareMemoryMiBAtReservation))
        {
            return null;
        }

        var jobEndsBy = _now + job.Walltime;
        if (job.SpecificGpuUuids.Count > 0)
        {
            foreach (var uuid in job.SpecificGpuUuids)
            {
                if (!_free.Exists(g => g.Uuid == uuid) || !Usable(uuid, job.Owner, jobEndsBy, outlastsReservation, honourBookings))
                {
                    return null;
                }
            }

            return job.SpecificGpuUuids.ToList();
        }

        var picked = new List<string>(job.GpuCount);
        if (honourBookings)
        {
            // The holder's jobs go on the holder's booked GPUs first, leaving unbooked GPUs to everyone else.
            foreach (var gpu in _free)
            {
                if (picked.Count < job.GpuCount && BookedForOwnerNow(gpu.Uuid, job.Owner) && Usable(gpu.Uuid, job.Owner, jobEndsBy, outlastsReservation, true))
                {
                    picked.Add(gpu.Uuid);
                }
            }
        }

        foreach (var gpu in _free)
        {
            if (picked.Count == job.GpuCount)
            {
                break;
            }

            if (Usable(gpu.Uuid, job.Owner, jobEndsBy, outlastsReservation, honourBookings) && !picked.Contains(gpu.Uuid))
            {
                picked.Add(gpu.Uuid);
            }
        }

        return picked.Count == job.GpuCount ? picked : null;
    }

    private void Start(QueuedJob job, OwnerState owner, List<string> gpus, bool outlastsReservation)
    {
        _starts.Add(new JobStart(job.JobId, gpus));
        owner.RunningJobs++;
        owner.RunningGpus += gpus.Count;
        _freeCpus -= job.Cpus;
        _freeMemoryMiB -= job.MemoryMiB;
        if (outlastsReservation)
        {
            _spareCpusAtReservation -= job.Cpus;
            _spareMemoryMiBAtReservation -= job.MemoryMiB;
        }

        foreach (var uuid in gpus)
        {
            _free.Remove(_gpuByUuid[uuid]);
        }

        AddRelease(_now + job.Walltime, gpus, job.Cpus, job.MemoryMiB);
    }

    /// <summary>
    /// Promises <paramref name="job"/> what it needs at the earliest time enough frees up (running jobs end by their
    /// walltime at the latest), so later jobs can only backfill around it. Busy GPUs freed by then are reserved
    /// before free ones: a GPU that is free now and not needed stays open to backfill jobs of any length.
    /// </summary>
    private void Reserve(QueuedJob job)
    {
        if (job.Cpus > _capacityCpus || job.MemoryMiB > _capacityMemoryMiB)
        {
            return;
        }

        var releases = _releases.OrderBy(r => r.EndsBy).ToList();
        var freeUuids = _free.Select(g => g.Uuid).ToHashSet(StringComparer.Ordinal);
        var released = new List<(DateTimeOffset EndsBy, SchedulableGpu Gpu)>();
        double cpus = _freeCpus, memory = _freeMemoryMiB;
        var startsBy = _now;
        var next = 0;
        while (!Satisfied())
        {
            if (next == releases.Count)
            {
                return;
            }

            // Everything that ends at the same moment frees up together.
            var at = releases[next].EndsBy;
            for (; next < releases.Count && releases[next].EndsBy == at; next++)
            {
                cpus += releases[next].Cpus;
                memory += releases[next].MemoryMiB;
                released.AddRange(releases[next].UndrainedGpus.Select(g => (at, g)));
            }

            startsBy = at > startsBy ? at : startsBy;
        }

        var reserved = job.SpecificGpuUuids.Count > 0
            ? job.SpecificGpuUuids.ToList()
            : released.OrderBy(r => r.EndsBy).ThenBy(r => r.Gpu.Index).Select(r => r.Gpu.Uuid).Take(job.GpuCount).ToList();
        reserved.AddRange(_free.Select(g => g.Uuid).Take(job.GpuCount - reserved.Count));
        _reservation = new Reservation(job.JobId, startsBy, reserved);
        _reserved = new HashSet<string>(reserved, StringComparer.Ordinal);
        _spareCpusAtReservation = cpus - job.Cpus;
        _spareMemoryMiBAtReservation = memory - job.MemoryMiB;

        bool Satisfied() =>
            cpus >= job.Cpus
            && memory >= job.MemoryMiB
            && (job.SpecificGpuUuids.Count > 0
                ? job.SpecificGpuUuids.All(u => freeUuids.Contains(u) || released.Exists(r => r.Gpu.Uuid == u))
                : _free.Count + released.Count >= job.GpuCount);
    }

    private void AddRelease(DateTimeOffset endsBy, IReadOnlyList<string> gpuUuids, double cpus, long memoryMiB)
    {
        var undrained = new List<SchedulableGpu>(gpuUuids.Count);
        foreach (var uuid in gpuUuids)
        {
            if (_gpuByUuid.TryGetValue(uuid, out var gpu) && !gpu.Drained)
            {
                undrained.Add(gpu);
            }
        }

        _releases.Add(new Release(endsBy, undrained, cpus, memoryMiB));
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

    /// <summary>
    /// The bookings of one GPU (none ended), reduced to what a pass asks of them in O(1): when the earliest booking
    /// starts and whose it is, when the earliest booking of anyone else starts, and whose booking is in force now.
    /// A job of owner O that would run until E is kept off the GPU when a booking not O's starts before E.
    /// </summary>
    private sealed record GpuBookings(DateTimeOffset FirstStart, string FirstHolder, DateTimeOffset FirstOtherStart, string? ActiveHolder)
    {
        public static GpuBookings Of(IEnumerable<GpuBooking> bookings, DateTimeOffset now)
        {
            var ordered = bookings.OrderBy(b => b.Start).ToList();
            var first = ordered[0];
            var firstOther = ordered.Find(b => b.Holder != first.Holder)?.Start ?? DateTimeOffset.MaxValue;
            return new GpuBookings(first.Start, first.Holder, firstOther, ordered.Find(b => b.IsActiveAt(now))?.Holder);
        }

        public DateTimeOffset FirstStartNotHeldBy(string owner) => owner == FirstHolder ? FirstOtherStart : FirstStart;
    }

    /// <summary>What a job gives back when it ends (by its walltime at the latest).</summary>
    private sealed record Release(DateTimeOffset EndsBy, List<SchedulableGpu> UndrainedGpus, double Cpus, long MemoryMiB);

    private sealed class OwnerState(EffectiveQuota quota, double gpuSecondsInWindow)
    {
        public EffectiveQuota Quota { get; } = quota;

        public double GpuSecondsInWindow { get; } = gpuSecondsInWindow;

        public int RunningJobs { get; set; }

        public int RunningGpus { get; set; }
    }
}
