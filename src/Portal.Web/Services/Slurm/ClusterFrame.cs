using Portal.Core.Slurm;

namespace Portal.Web.Services.Slurm;

/// <summary>What the cluster dashboard shows at one moment. Immutable and shared by every circuit.</summary>
/// <param name="Nodes">Every node, as the last sinfo listed them.</param>
/// <param name="ReadAt">When that sinfo ran; null before the first answer.</param>
/// <param name="Problem">Why the last sinfo failed (the nodes are then the last known ones), or null.</param>
public sealed record ClusterFrame(IReadOnlyList<SlurmNode> Nodes, DateTimeOffset? ReadAt, string? Problem)
{
    public static ClusterFrame Starting { get; } = new([], null, null);

    public int Gpus => Nodes.Sum(n => n.Gpus);

    public int GpusInUse => Nodes.Sum(n => n.GpusInUse);

    /// <summary>The most GPUs one job can get: the largest node that is not down (jobs run on one node).</summary>
    public int MaxGpusPerNode => Nodes.Where(n => n.Health != SlurmNodeHealth.Down).Select(n => n.Gpus).DefaultIfEmpty(0).Max();
}
