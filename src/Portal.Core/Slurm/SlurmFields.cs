using System.Globalization;

namespace Portal.Core.Slurm;

/// <summary>
/// Reading the fields of Slurm's text output. The portal asks squeue and sinfo for unit-separated fields (a job name
/// or a reason can hold spaces, '|' or ','), records that start with a record separator, and times in UTC.
/// </summary>
public static class SlurmFields
{
    /// <summary>Between fields.</summary>
    public const char UnitSeparator = '\x1f';

    /// <summary>Before (squeue) or after (sinfo) each record.</summary>
    public const char RecordSeparator = '\x1e';

    /// <summary>The records of an output, each split into exactly <paramref name="fieldCount"/> fields.</summary>
    /// <exception cref="FormatException">A record has another number of fields: the output is not what was asked for.</exception>
    public static IEnumerable<string[]> Records(string output, int fieldCount)
    {
        ArgumentNullException.ThrowIfNull(output);
        foreach (var record in output.Split(RecordSeparator))
        {
            var text = record.Trim('\n', '\r');
            if (text.Length == 0)
            {
                continue;
            }

            var fields = text.Split(UnitSeparator);
            if (fields.Length != fieldCount)
            {
                throw new FormatException($"A Slurm record has {fields.Length} fields instead of {fieldCount}: '{Printable(text)}'.");
            }

            yield return fields;
        }
    }

    /// <summary>A time as squeue, sinfo and scontrol print it with TZ=UTC; null for "N/A", "NONE", "Unknown", "None".</summary>
    public static DateTimeOffset? Time(string text) =>
        DateTime.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? new DateTimeOffset(t, TimeSpan.Zero)
            : null;

    /// <summary>A duration as Slurm prints it: [days-][hours:]minutes:seconds; null for "UNLIMITED", "INVALID", "N/A".</summary>
    public static TimeSpan? Duration(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var days = 0;
        var rest = text;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0)
        {
            if (!int.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out days))
            {
                return null;
            }

            rest = text[(dash + 1)..];
        }

        var parts = rest.Split(':');
        if (parts.Length is < 1 or > 3)
        {
            return null;
        }

        var values = new int[3];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[3 - parts.Length + i]))
            {
                return null;
            }
        }

        // "M:SS" or "H:MM:SS"; with days, "D-HH" and "D-HH:MM" too.
        if (dash > 0 && parts.Length < 3)
        {
            Array.Copy(values, 3 - parts.Length, values, 0, parts.Length);
            Array.Clear(values, parts.Length, 3 - parts.Length);
        }

        return new TimeSpan(days, values[0], values[1], values[2]);
    }

    /// <summary>Slurm's "(null)", "N/A", "None" and empty mean no value.</summary>
    public static string? Optional(string text) =>
        text is "" or "(null)" or "N/A" or "n/a" or "None" or "none" or "NONE" or "None assigned" ? null : text;

    /// <summary>The number of GPUs in a GRES or TRES text: "gres:gpu:2", "gpu:a100:2(IDX:0-1)", "gres/gpu=2", "gpu:2,mps:100".</summary>
    public static int GpuCount(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return 0;
        }

        var total = 0;
        foreach (var item in SplitTopLevel(text))
        {
            var entry = item.StartsWith("gres:", StringComparison.Ordinal) || item.StartsWith("gres/", StringComparison.Ordinal) ? item[5..] : item;
            if (!entry.StartsWith("gpu", StringComparison.Ordinal))
            {
                continue;
            }

            var paren = entry.IndexOf('(', StringComparison.Ordinal);
            var head = paren >= 0 ? entry[..paren] : entry;
            var last = head.LastIndexOfAny([':', '=']);
            if (last >= 0 && int.TryParse(head.AsSpan(last + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                total += n;
            }
            else if (head is "gpu")
            {
                total += 1;
            }
        }

        return total;
    }

    /// <summary>The GPU indexes in a GRES text with IDX, e.g. "gpu:2(IDX:0,2-3)" gives 0, 2, 3.</summary>
    public static IReadOnlyList<int> GpuIndexes(string? text)
    {
        var indexes = new List<int>();
        if (string.IsNullOrEmpty(text))
        {
            return indexes;
        }

        foreach (var item in SplitTopLevel(text))
        {
            var start = item.IndexOf("(IDX:", StringComparison.Ordinal);
            if (!item.StartsWith("gpu", StringComparison.Ordinal) || start < 0)
            {
                continue;
            }

            var end = item.IndexOf(')', start);
            var list = item[(start + 5)..(end < 0 ? item.Length : end)];
            foreach (var range in list.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                var dash = range.IndexOf('-', StringComparison.Ordinal);
                if (dash < 0)
                {
                    if (int.TryParse(range, NumberStyles.None, CultureInfo.InvariantCulture, out var single))
                    {
                        indexes.Add(single);
                    }
                }
                else if (int.TryParse(range.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                    && int.TryParse(range.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var to) && to >= from && to - from < 1024)
                {
                    for (var i = from; i <= to; i++)
                    {
                        indexes.Add(i);
                    }
                }
            }
        }

        return indexes;
    }

    /// <summary>Splits on commas that are not inside parentheses ("gpu:2(IDX:0,1),mps:0").</summary>
    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth = Math.Max(0, depth - 1);
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return text[start..];
    }

    internal static string Printable(string text)
    {
        var shown = text.Length > 200 ? text[..200] + "..." : text;
        return new string([.. shown.Select(c => c is >= ' ' and <= '~' ? c : '?')]);
    }
}
