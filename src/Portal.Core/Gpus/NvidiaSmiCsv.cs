namespace Portal.Core.Gpus;

/// <summary>
/// Splits nvidia-smi <c>--format=csv</c> output into records keyed by query field.
/// nvidia-smi neither quotes nor escapes: fields are separated by ", " and no value it prints for the fields
/// we query contains a comma.
/// </summary>
internal static class NvidiaSmiCsv
{
    /// <summary>Splits one line into trimmed fields.</summary>
    public static string[] SplitLine(string line)
    {
        var fields = line.Split(',');
        for (var i = 0; i < fields.Length; i++)
        {
            fields[i] = fields[i].Trim();
        }

        return fields;
    }

    /// <summary>Turns a header line such as <c>memory.total [MiB], utilization.gpu [%]</c> into field names
    /// (<c>memory.total</c>, <c>utilization.gpu</c>).</summary>
    public static string[] ParseHeader(string headerLine)
    {
        var names = SplitLine(headerLine);
        for (var i = 0; i < names.Length; i++)
        {
            var unit = names[i].IndexOf(" [", StringComparison.Ordinal);
            if (unit >= 0)
            {
                names[i] = names[i][..unit];
            }
        }

        return names;
    }

    /// <summary>Reads a CSV text into records. With <paramref name="fields"/> null the first line is the header
    /// (plain <c>--format=csv</c>); otherwise the text has no header and the columns are <paramref name="fields"/>.</summary>
    public static IReadOnlyList<NvidiaSmiRecord> Parse(string text, IReadOnlyList<string>? fields)
    {
        var records = new List<NvidiaSmiRecord>();
        IReadOnlyList<string>? columns = fields;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line.Trim().Length == 0)
            {
                continue;
            }

            if (columns is null)
            {
                columns = ParseHeader(line);
                continue;
            }

            records.Add(NvidiaSmiRecord.Create(columns, SplitLine(line)));
        }

        return records;
    }
}

/// <summary>One CSV row of nvidia-smi output with its values looked up by query field name.</summary>
internal sealed class NvidiaSmiRecord
{
    private readonly Dictionary<string, string> _values;

    private NvidiaSmiRecord(Dictionary<string, string> values) => _values = values;

    public static NvidiaSmiRecord Create(IReadOnlyList<string> columns, string[] values)
    {
        if (values.Length != columns.Count)
        {
            throw new FormatException(
                $"nvidia-smi printed {values.Length} values for {columns.Count} query fields.");
        }

        var map = new Dictionary<string, string>(columns.Count, StringComparer.Ordinal);
        for (var i = 0; i < columns.Count; i++)
        {
            map[columns[i]] = values[i];
        }

        return new NvidiaSmiRecord(map);
    }

    /// <summary>The raw text of a field; throws when the query did not include it.</summary>
    public string this[string field] =>
        _values.TryGetValue(field, out var value)
            ? value
            : throw new FormatException($"nvidia-smi output has no '{field}' column.");
}
