using Portal.Core.Gpus;

namespace Portal.Jobs;

/// <summary>
/// The latest GPU reading (what nvidia-smi reports) that <see cref="GpuInventorySync"/> copies into the database.
/// The web host's GPU monitor provides it; a host without one keeps whatever inventory the database has.
/// </summary>
public interface IGpuInventorySource
{
    /// <summary>The latest reading; its status says whether it holds an inventory at all.</summary>
    GpuSnapshot CurrentSnapshot { get; }
}
