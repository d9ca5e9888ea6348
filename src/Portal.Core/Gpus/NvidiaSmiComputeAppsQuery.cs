namespace Portal.Core.Gpus;

/// <summary>The <c>--query-compute-apps</c> fields and their parser.</summary>
public static class NvidiaSmiComputeAppsQuery
{
    /// <summary>The fields, in the order they are requested.</summary>
    public static IReadOnlyList<string> Fields { get; } = ["gpu_uuid", "pid", "process_name", "used_gpu_memory"];

    /// <summary>The value of <c>--query-compute-apps=</c>.</summary>
    public static string FieldList => string.Join(',', Fields);

    /// <summary>Parses plain or <c>noheader,nounits</c> CSV output of a query that includes <see cref="Fields"/>.</summary>
    public static IReadOnlyList<GpuProcess> Parse(string text, bool hasHeader) =>
        NvidiaSmiCsv.Parse(text, hasHeader ? null : Fields)
            .Select(r => new GpuProcess(
                NvidiaSmiValue.ParseText(r["gpu_uuid"])
                    ?? throw new FormatException("nvidia-smi reported a process without a GPU."),
                (int)(NvidiaSmiValue.ParseInt64(r["pid"])
                    ?? throw new FormatException("nvidia-smi reported a process without a PID.")),
                NvidiaSmiValue.ParseText(r["process_name"]) ?? "",
                NvidiaSmiValue.ParseInt64(r["used_gpu_memory"])))
            .ToList();
}
