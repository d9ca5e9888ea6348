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
}
