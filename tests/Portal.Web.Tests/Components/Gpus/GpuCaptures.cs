using System.Globalization;

namespace Portal.Web.Tests.Components.Gpus;

/// <summary>
/// The recorded nvidia-smi outputs in TestData/nvidia-smi, split into their sections. Each capture is one GPU; a
/// fake multi-GPU box is built by renumbering rows (see <see cref="FakeGpuBox"/>).
/// </summary>
public static class GpuCaptures
{
    public const string H100 = "linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt";
    public const string H100Mig = "linux-x86_64__nvidia-h100-mig__590.48.01.txt";
    public const string L40S = "linux-x86_64__nvidia-l40s__595.80.txt";

    /// <summary>Where the captures are; the benchmark points it elsewhere.</summary>
    public static string Folder { get; set; } =
        Path.Combine(AppContext.BaseDirectory, "Components", "Gpus", "TestData", "nvidia-smi");

    public static string Read(string name) => File.ReadAllText(Path.Combine(Folder, name));

    /// <summary>The body of the section whose title line (<c># idle :: query-gpu ...</c>) starts with <paramref name="title"/>.</summary>
    public static string Section(string name, string title)
    {
        var lines = Read(name).Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith("# " + title, StringComparison.Ordinal));
        if (start < 0)
        {
            throw new InvalidOperationException($"{name} has no section '{title}'.");
        }

        // Title, command line, then a row of '#'; the body runs to the next row of '#'.
        var bodyStart = Array.FindIndex(lines, start, l => l.StartsWith("#####", StringComparison.Ordinal)) + 1;
        var bodyEnd = Array.FindIndex(lines, bodyStart, l => l.StartsWith("#####", StringComparison.Ordinal));
        var body = lines[bodyStart..(bodyEnd < 0 ? lines.Length : bodyEnd)];
        return string.Join('\n', body).Trim('\n') + "\n";
    }

    /// <summary>The wide <c>--query-gpu ... --format=csv</c> output (header with units) of a phase, "idle" or "load".</summary>
    public static string QueryGpu(string name, string phase) => Section(name, $"{phase} :: query-gpu");

    public static string ComputeApps(string name, string phase) => Section(name, $"{phase} :: query-compute-apps");

    public static string List(string name) => Section(name, "capabilities :: list (-L)");

    /// <summary>
    /// What nvidia-smi would print for <paramref name="fields"/> with <c>noheader,nounits</c>, derived from a
    /// capture's wide <c>--format=csv</c> section by plain text surgery; <paramref name="overrides"/> replaces fields.
    /// </summary>
    public static IEnumerable<string> ProjectNoUnits(
        string wideCsv, IReadOnlyList<string> fields, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var lines = wideCsv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var rawHeader = lines[0].Split(", ");
        var header = rawHeader.Select(h => h.Split(" [")[0]).ToList();
        foreach (var row in lines.Skip(1))
        {
            var values = row.Split(", ");
            if (values.Length != header.Count)
            {
                throw new InvalidOperationException($"A capture row has {values.Length} fields, its header {header.Count}.");
            }

            yield return string.Join(", ", fields.Select(f =>
            {
                if (overrides is not null && overrides.TryGetValue(f, out var replaced))
                {
                    return replaced;
                }

                var column = header.IndexOf(f);
                var value = values[column].Trim();
                // Only columns whose header names a unit lose it: "8192 MiB" -> "8192"; "[N/A]" stays as nounits prints it.
                var hasUnit = rawHeader[column].Contains(" [", StringComparison.Ordinal);
                return hasUnit && !value.StartsWith('[') ? value.Split(' ')[0] : value;
            }));
        }
    }

    /// <summary>A UUID in nvidia-smi's shape, distinct per <paramref name="n"/> (the captures mask theirs to zeros).</summary>
    public static string Uuid(int n) => string.Create(CultureInfo.InvariantCulture, $"GPU-{n + 1:x8}-1111-2222-3333-444444444444");
}
