namespace Portal.Launcher.Cgroups;

/// <summary>What the kernel enforces on one job: memory, CPU quota, tasks, and the devices its processes may open.</summary>
internal sealed record JobLimits(long? MemoryBytes, double? Cpus, long Pids, IReadOnlyList<DeviceRule> Devices)
{
    /// <summary>
    /// Room the job's cgroup has above its memory limit while <c>podman run</c> starts it: podman, conmon and the
    /// runtime run inside the cgroup (that is what keeps them in it) and would otherwise count against a small job.
    /// The exact limit is written as soon as podman returns (measured peak of podman itself: about 20 MiB).
    /// </summary>
    public const long StartMemoryAllowanceBytes = 256L << 20;

    /// <summary>Tasks (threads count) podman, conmon and the runtime may add while the job starts.</summary>
    public const long StartPidsAllowance = 256;

    /// <summary>CFS period for the CPU quota: 100 ms, the kernel's default.</summary>
    public const long CpuPeriodMicros = 100_000;

    public long? CpuQuotaMicros => Cpus is { } c ? (long)Math.Ceiling(c * CpuPeriodMicros) : null;

    /// <summary>The limits while podman starts the job.</summary>
    public JobLimits ForStart() => this with
    {
        MemoryBytes = MemoryBytes + StartMemoryAllowanceBytes,
        Pids = Pids + StartPidsAllowance,
    };
}
