using Portal.Core.Bookings;
using Portal.Core.Quotas;
using Portal.Core.Scheduling;

namespace Portal.Core.Tests.Scheduling;

/// <summary>Builds scheduler snapshots relative to a fixed <see cref="Now"/>.</summary>
internal sealed class SnapshotBuilder
{
    public static readonly DateTimeOffset Now = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    public static readonly EffectiveQuota Generous = new(
        MaxConcurrentGpus: 64, MaxConcurrentJobs: 1000, MaxQueuedJobs: 100_000, GpuHoursPerWindow: 1_000_000,
        Window: TimeSpan.FromDays(7), MaxWalltime: TimeSpan.FromDays(7), MaxCpusPerJob: 64, MaxMemoryMiBPerJob: 1 << 20);

    private readonly List<SchedulableGpu> _gpus = [];
    private readonly List<QueuedJob> _queued = [];
    private readonly List<RunningJob> _running = [];
    private readonly Dictionary<string, EffectiveQuota> _quotas = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double> _usage = new(StringComparer.Ordinal);
    private readonly List<GpuBooking> _bookings = [];
    private HostCapacity? _capacity;

    public static string Uuid(int index) => $"GPU-{index:D8}";

    public SnapshotBuilder Gpus(int count, params int[] drained)
    {
        for (var i = 0; i < count; i++)
        {
            _gpus.Add(new SchedulableGpu(Uuid(i), i, drained.Contains(i)));
        }

        return this;
    }

    public SnapshotBuilder Queue(
        long id, string owner, int gpus, double waitedHours = 0, int priority = 0, double walltimeHours = 1, int[]? specific = null,
        double cpus = 0, long memoryMiB = 0)
    {
        var uuids = specific?.Select(Uuid).ToArray() ?? [];
        _queued.Add(new QueuedJob(
            id, owner, specific?.Length ?? gpus, uuids, priority, Now - TimeSpan.FromHours(waitedHours), TimeSpan.FromHours(walltimeHours),
            cpus, memoryMiB));
        return this;
    }

    public SnapshotBuilder Run(
        long id, string owner, int[] gpus, double startedHoursAgo = 0, double walltimeHours = 1, double cpus = 0, long memoryMiB = 0)
    {
        _running.Add(new RunningJob(
            id, owner, gpus.Select(Uuid).ToArray(), Now - TimeSpan.FromHours(startedHoursAgo), TimeSpan.FromHours(walltimeHours),
            cpus, memoryMiB));
        return this;
    }

    public SnapshotBuilder Quota(string owner, EffectiveQuota quota)
    {
        _quotas[owner] = quota;
        return this;
    }

    public SnapshotBuilder UsedGpuHours(string owner, double hours)
    {
        _usage[owner] = hours * 3600;
        return this;
    }

    public SnapshotBuilder Capacity(double cpus, long memoryMiB)
    {
        _capacity = new HostCapacity(cpus, memoryMiB);
        return this;
    }

    /// <summary>Books <paramref name="gpus"/> for <paramref name="holder"/> from <paramref name="startsInHours"/> to
    /// <paramref name="endsInHours"/> from <see cref="Now"/> (negative: in the past).</summary>
    public SnapshotBuilder Book(string holder, int[] gpus, double startsInHours, double endsInHours)
    {
        _bookings.Add(new GpuBooking(_bookings.Count + 1, holder, gpus.Select(Uuid).ToArray(),
            Now + TimeSpan.FromHours(startsInHours), Now + TimeSpan.FromHours(endsInHours), null));
        return this;
    }

    public SchedulingSnapshot Build() => new(_gpus, _queued, _running, _quotas, Generous, _usage, _capacity, _bookings);
}
