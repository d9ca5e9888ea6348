namespace Portal.Cli.Output;

/// <summary>A plain, left-aligned table like squeue's: a header row, columns two spaces apart.</summary>
public sealed class TextTable(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public void Add(params string?[] cells) => _rows.Add([.. cells.Select(c => c ?? "")]);

    public void WriteTo(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        var widths = headers.Select((h, i) => Math.Max(h.Length, _rows.Count == 0 ? 0 : _rows.Max(r => r[i].Length))).ToArray();
        Write(writer, headers, widths);
        foreach (var row in _rows)
        {
            Write(writer, row, widths);
        }
    }

    private static void Write(TextWriter writer, string[] cells, int[] widths) =>
        writer.WriteLine(string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd());
}
