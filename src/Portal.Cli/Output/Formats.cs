using System.Globalization;

namespace Portal.Cli.Output;

/// <summary>How values read in the human output.</summary>
public static class Formats
{
    public static string Time(DateTimeOffset? at) =>
        at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "-";

    public static string Number(double? value, string format = "0.##") =>
        value is { } v ? v.ToString(format, CultureInfo.InvariantCulture) : "-";

    public static string Number(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    /// <summary>Bytes as MiB with one decimal ("48.0 MiB"), or "-" when not known.</summary>
    public static string MiB(long? bytes) =>
        bytes is { } b ? (b / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB" : "-";
}
