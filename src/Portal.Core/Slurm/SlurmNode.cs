using System.Globalization;

namespace Portal.Core.Slurm;

/// <summary>A node's health, from its state word.</summary>
public enum SlurmNodeHealth
{
    /// <summary>Idle, mixed or allocated: takes jobs.</summary>
    Up,

    /// <summary>An administrator drained it (or it is draining): running jobs finish, nothing new starts.</summary>
    Drained,

    /// <summary>Down, failed, or not responding: slurmd is unreachable; its jobs fail.</summary>
    Down,
}

/// <summary>One compute node as sinfo reports it, for the dashboard.</summary>
/// <param name="Name">The node name.</param>
/// <param name="State">Slurm's state word (idle, mixed, allocated, down*, drained, ...).</param>
/// <param name="Gpus">GPUs the node has (GRES gpu).</param>
/// <param name="GpusInUse">GPUs allocated to jobs.</param>
/// <param name="CpusAllocated">CPUs allocated.</param>
/// <param name="CpusTotal">CPUs the node has.</param>
/// <param name="MemoryMiB">Memory the node offers to jobs.</param>
/// <param name="MemoryAllocatedMiB">Memory allocated to jobs.</param>
/// <param name="Reason">Why it is down or drained, or null.</param>
/// <param name="Partitions">The partitions it is in.</param>
public sealed record SlurmNode(
    string Name,
    string State,
    int Gpus,
    int GpusInUse,
    int CpusAllocated,
    int CpusTotal,
    long MemoryMiB,
    long MemoryAllocatedMiB,
    string? Reason,
    IReadOnlyList<string> Partitions)
{
    public SlurmNodeHealth Health => SinfoQuery.Health(State);
}

/// <summary>The dashboard's one sinfo per refresh: every node, one record each (a node in two partitions is listed
/// twice by sinfo and merged here).</summary>
public static class SinfoQuery
{
    private const int FieldCount = 9;

    /// <summary>sinfo's arguments: per node, NodeList, StateLong, Gres, GresUsed, CPUsState (A/I/O/T), Memory,
    /// AllocMem, Reason, Partition; each field unpadded (":0") and ended by a separator.</summary>
    public static IReadOnlyList<string> Arguments() =>
    [
        "--noheader", "--Node", "--Format=" + string.Join(',',
            Field("NodeList"), Field("StateLong"), Field("Gres"), Field("GresUsed"), Field("CPUsState"), Field("Memory"),
            Field("AllocMem"), Field("Reason"), "Partition:0" + SlurmFields.RecordSeparator),
    ];

    public static IReadOnlyList<SlurmNode> Parse(string output)
    {
        var nodes = new List<SlurmNode>();
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var f in SlurmFields.Records(output, FieldCount))
        {
            var partition = f[8].TrimEnd('*');
            if (byName.TryGetValue(f[0], out var seen))
            {
                nodes[seen] = nodes[seen] with { Partitions = [.. nodes[seen].Partitions, partition] };
                continue;
            }

            var cpus = f[4].Split('/');
            byName[f[0]] = nodes.Count;
            nodes.Add(new SlurmNode(
                f[0],
                f[1],
                SlurmFields.GpuCount(f[2]),
                SlurmFields.GpuCount(f[3]),
                cpus.Length == 4 ? Int(cpus[0]) : 0,
                cpus.Length == 4 ? Int(cpus[3]) : 0,
                Long(f[5]),
                Long(f[6]),
                SlurmFields.Optional(f[7]),
                [partition]));
        }

        return nodes;
    }

    /// <summary>"down*", "idle*" (not responding), "fail", "drained", "draining", "mixed+drain", ...</summary>
    public static SlurmNodeHealth Health(string state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var word = state.ToLowerInvariant();
        if (word.EndsWith('*') || word.StartsWith("down", StringComparison.Ordinal) || word.StartsWith("fail", StringComparison.Ordinal)
            || word.Contains("not_responding", StringComparison.Ordinal) || word.StartsWith("unknown", StringComparison.Ordinal)
            || word.StartsWith("inval", StringComparison.Ordinal) || word.StartsWith("future", StringComparison.Ordinal))
        {
            return SlurmNodeHealth.Down;
        }

        return word.Contains("drain", StringComparison.Ordinal) || word.Contains("maint", StringComparison.Ordinal)
            ? SlurmNodeHealth.Drained
            : SlurmNodeHealth.Up;
    }

    private static string Field(string name) => name + ":0" + SlurmFields.UnitSeparator;

    private static int Int(string text) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;

    private static long Long(string text) => long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
}
