namespace Portal.Core.Gpus;

/// <summary>The <c>--query-gpu</c> fields the sampler asks for, and how one row becomes a device and a sample.</summary>
public static class NvidiaSmiGpuQuery
{
    /// <summary>The fields, in the order they are requested. <c>count</c> is on every row so the reader knows
    /// when it has seen every GPU of one sampling round.</summary>
    public static IReadOnlyList<string> Fields { get; } =
    [
        "index", "uuid", "name", "pci.bus_id", "count",
        "memory.total", "memory.used", "utilization.gpu", "temperature.gpu", "power.draw",
    ];

    /// <summary>The value of <c>--query-gpu=</c>.</summary>
    public static string FieldList => string.Join(',', Fields);

    /// <summary>Parses plain or <c>noheader,nounits</c> CSV output of a query that includes <see cref="Fields"/>
    /// (extra columns are ignored) into one row per GPU.</summary>
    /// <param name="text">The output.</param>
    /// <param name="hasHeader">True for plain <c>--format=csv</c>, whose first line names the fields.</param>
    /// <param name="sampledAt">The time to stamp on the samples.</param>
    public static IReadOnlyList<GpuQueryRow> Parse(string text, bool hasHeader, DateTimeOffset sampledAt)
    {
        var records = NvidiaSmiCsv.Parse(text, hasHeader ? null : Fields);
        return records.Select(r => ToRow(r, sampledAt)).ToList();
    }

    internal static GpuQueryRow ParseLine(string line, DateTimeOffset sampledAt) =>
        ToRow(NvidiaSmiRecord.Create(Fields, NvidiaSmiCsv.SplitLine(line)), sampledAt);

    private static GpuQueryRow ToRow(NvidiaSmiRecord record, DateTimeOffset sampledAt)
    {
        var index = (int)(NvidiaSmiValue.ParseInt64(record["index"])
            ?? throw new FormatException("nvidia-smi reported a GPU without an index."));
        var uuid = NvidiaSmiValue.ParseText(record["uuid"])
            ?? throw new FormatException($"nvidia-smi reported GPU {index} without a UUID.");
        var memoryTotal = NvidiaSmiValue.ParseInt64(record["memory.total"]);
        var sample = new GpuSample(
            uuid,
            index,
            NvidiaSmiValue.ParseDouble(record["utilization.gpu"]),
            NvidiaSmiValue.ParseInt64(record["memory.used"]),
            memoryTotal,
            NvidiaSmiValue.ParseDouble(record["temperature.gpu"]),
            NvidiaSmiValue.ParseDouble(record["power.draw"]),
            sampledAt);
        return new GpuQueryRow(
            index,
            uuid,
            NvidiaSmiValue.ParseText(record["name"]) ?? "Unknown GPU",
            NvidiaSmiValue.ParseText(record["pci.bus_id"]),
            (int)(NvidiaSmiValue.ParseInt64(record["count"]) ?? 0),
            sample);
    }
}

/// <summary>One GPU's row of <c>--query-gpu</c> output: identity plus the live sample.
/// <see cref="GpuCount"/> is the <c>count</c> field: how many GPUs each round reports.</summary>
public sealed record GpuQueryRow(int Index, string Uuid, string Name, string? PciBusId, int GpuCount, GpuSample Sample)
{
    /// <summary>Builds the inventory entry for this GPU.</summary>
    public GpuDevice ToDevice(string deviceNode, IReadOnlyList<MigDevice> migDevices) =>
        new(Index, Uuid, Name, Sample.MemoryTotalMiB, PciBusId, deviceNode, migDevices);
}
