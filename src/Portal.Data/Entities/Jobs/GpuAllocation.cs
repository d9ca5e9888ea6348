namespace Portal.Data.Entities.Jobs;

/// <summary>
/// One line of the GPU ledger: a job held a GPU from <see cref="AllocatedAt"/> until <see cref="ReleasedAt"/>.
/// A partial unique index allows at most one unreleased line per GPU, so two jobs can never hold one GPU,
/// whatever the code above does.
/// </summary>
public sealed class GpuAllocation
{
    public long Id { get; set; }

    public required string GpuUuid { get; set; }

    public long JobId { get; set; }

    /// <summary>The GPU's place in the job's assignment (CUDA_VISIBLE_DEVICES order).</summary>
    public int Position { get; set; }

    public DateTimeOffset AllocatedAt { get; set; }

    /// <summary>Null while the job holds the GPU.</summary>
    public DateTimeOffset? ReleasedAt { get; set; }
}
