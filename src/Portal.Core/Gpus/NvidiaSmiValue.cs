using System.Globalization;

namespace Portal.Core.Gpus;

/// <summary>Reads single values from nvidia-smi CSV output, with or without <c>nounits</c>.</summary>
internal static class NvidiaSmiValue
{
    /// <summary>True when nvidia-smi says the value does not exist on this GPU
    /// (<c>[N/A]</c>, <c>[Not Supported]</c>, <c>[Unknown Error]</c>, <c>N/A</c>...).</summary>
    public static bool IsUnavailable(string raw)
    {
        var value = raw.Trim();
        return value.Length == 0
            || value.StartsWith('[')
            || value.Equals("N/A", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Parses a number such as <c>39.32</c>, <c>39.32 W</c>, <c>8192 MiB</c> or <c>0 %</c>;
    /// null when unavailable. Always culture-invariant: nvidia-smi prints a dot whatever the locale.</summary>
    public static double? ParseDouble(string raw)
    {
        if (IsUnavailable(raw))
        {
            return null;
        }

        var number = StripUnit(raw);
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"nvidia-smi value '{raw}' is not a number.");
    }

    /// <summary>Like <see cref="ParseDouble"/>, for whole numbers such as MiB.</summary>
    public static long? ParseInt64(string raw)
    {
        if (IsUnavailable(raw))
        {
            return null;
        }

        var number = StripUnit(raw);
        return long.TryParse(number, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"nvidia-smi value '{raw}' is not a whole number.");
    }

    /// <summary>Text values are kept as they are, but unavailable ones become null.</summary>
    public static string? ParseText(string raw) => IsUnavailable(raw) ? null : raw.Trim();

    private static string StripUnit(string raw)
    {
        // Units follow the number after one space: "8192 MiB", "0 %", "111.50 W".
        var value = raw.Trim();
        var space = value.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? value : value[..space];
    }
}
