namespace Portal.Core.Tests.Gpus;

/// <summary>The recorded nvidia-smi outputs in TestData/nvidia-smi, split into their sections.</summary>
internal static class Captures
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "TestData", "nvidia-smi");

    public static IEnumerable<string> Names =>
        Directory.EnumerateFiles(Folder, "*.txt").Select(Path.GetFileName).Order(StringComparer.Ordinal)!;

    public static TheoryData<string> All()
    {
        var data = new TheoryData<string>();
        foreach (var name in Names)
        {
            data.Add(name);
        }

        return data;
    }

    public static TheoryData<string, string> AllWithPhases()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in Names)
        {
            data.Add(name, "idle");
            data.Add(name, "load");
        }

        return data;
    }

    public static string Read(string name) => File.ReadAllText(Path.Combine(Folder, name));

    /// <summary>The body of the section whose title line (<c># idle :: query-gpu ...</c>) starts with <paramref name="title"/>.</summary>
    public static string Section(string name, string title)
    {
        var lines = Read(name).Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith("# " + title, StringComparison.Ordinal));
        Assert.True(start >= 0, $"{name} has no section '{title}'");
        // Title, command line, then a row of '#'; the body runs to the next row of '#'.
        var bodyStart = Array.FindIndex(lines, start, l => l.StartsWith("#####", StringComparison.Ordinal)) + 1;
        var bodyEnd = Array.FindIndex(lines, bodyStart, l => l.StartsWith("#####", StringComparison.Ordinal));
        var body = lines[bodyStart..(bodyEnd < 0 ? lines.Length : bodyEnd)];
        return string.Join('\n', body).Trim('\n') + "\n";
    }

    public static string QueryGpu(string name, string phase) => Section(name, $"{phase} :: query-gpu");

    public static string ComputeApps(string name, string phase) => Section(name, $"{phase} :: query-compute-apps");

    public static string List(string name) => Section(name, "capabilities :: list (-L)");

    /// <summary>
    /// What nvidia-smi would print for <paramref name="fields"/> with <c>noheader,nounits</c>, derived from a
    /// capture's wide <c>--format=csv</c> section (header plus units) by plain text surgery, independently of the
    /// parser under test. <paramref name="overrides"/> replaces fields, to build multi-GPU boxes from one-GPU captures.
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
            Assert.Equal(header.Count, values.Length);
            yield return string.Join(", ", fields.Select(f =>
            {
                if (overrides is not null && overrides.TryGetValue(f, out var replaced))
                {
                    return replaced;
                }

                var column = header.IndexOf(f);
                var value = values[column].Trim();
                // Only columns whose header names a unit lose it: "8192 MiB" -> "8192", "39.32 W" -> "39.32".
                // "[N/A]" stays as nounits prints it, and names keep their spaces.
                var hasUnit = rawHeader[column].Contains(" [", StringComparison.Ordinal);
                return hasUnit && !value.StartsWith('[') ? value.Split(' ')[0] : value;
            }));
        }
    }
}
