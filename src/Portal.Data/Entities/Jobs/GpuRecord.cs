namespace Portal.Data.Entities.Jobs;

/// <summary>A GPU the box has (or had), by UUID, with the administrator's drain flag.</summary>
public sealed class GpuRecord
{
    public required string Uuid { get; set; }

    /// <summary>The driver index when last seen; it can change across reboots, so it is never a key.</summary>
    public int Index { get; set; }

    public required string Name { get; set; }

    public long? MemoryTotalMiB { get; set; }

    public string? PciBusId { get; set; }

    public string? DeviceNode { get; set; }

    /// <summary>For a MIG instance, the UUID of the GPU it is carved from; null for a whole GPU. A GPU with present
    /// instances is never given out itself (its instances are), so a job never shares a GPU through parent and instance.</summary>
    public string? ParentUuid { get; set; }

    /// <summary>False when the last inventory did not list it: the scheduler then places nothing on it.</summary>
    public bool IsPresent { get; set; }

    public DateTimeOffset LastSeenAt { get; set; }

    /// <summary>Drained: running jobs finish, no new job lands on it.</summary>
    public bool Drained { get; set; }

    public string? DrainedBy { get; set; }

    public DateTimeOffset? DrainedAt { get; set; }

    public string? DrainReason { get; set; }
}
