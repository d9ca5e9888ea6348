using System.Globalization;
using System.Text.RegularExpressions;

namespace Portal.Core.Apps;

/// <summary>The size, CPU and duration notations of compose and Kubernetes, read into the portal's units.</summary>
internal static partial class Quantities
{
    private const double MiB = 1024 * 1024;

    /// <summary>Compose memory: bytes, or a number with b, k, m, g (optionally followed by b), any case.</summary>
    public static long? ComposeMemoryMiB(string text)
    {
        var match = ComposeMemoryPattern().Match(text);
        if (!match.Success)
        {
            return null;
        }

        var unit = match.Groups[2].Value.ToUpperInvariant().TrimEnd('B');
        double factor = unit switch
        {
            "" => 1,
            "K" => 1024,
            "M" => MiB,
            "G" => MiB * 1024,
            _ => double.NaN,
        };
        return ToMiB(match.Groups[1].Value, factor);
    }

    /// <summary>Kubernetes memory: a number with an optional decimal (k, M, G, T) or binary (Ki, Mi, Gi, Ti) suffix.</summary>
    public static long? KubeMemoryMiB(string text)
    {
        var match = KubeMemoryPattern().Match(text);
        if (!match.Success)
        {
            return null;
        }

        double factor = match.Groups[2].Value switch
        {
            "" => 1,
            "k" => 1e3,
            "M" => 1e6,
            "G" => 1e9,
            "T" => 1e12,
            "Ki" => 1024,
            "Mi" => MiB,
            "Gi" => MiB * 1024,
            "Ti" => MiB * 1024 * 1024,
            _ => double.NaN,
        };
        return ToMiB(match.Groups[1].Value, factor);
    }

    /// <summary>CPUs as a decimal number of cores, or (Kubernetes) millicores like <c>500m</c>.</summary>
    public static double? Cpus(string text, bool allowMillicores)
    {
        if (allowMillicores && text.EndsWith('m'))
        {
            return int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var milli) && milli > 0
                ? milli / 1000.0
                : null;
        }

        return double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var cores)
            && double.IsFinite(cores) && cores > 0 ? cores : null;
    }

    /// <summary>A compose duration such as <c>30s</c>, <c>1m30s</c>, <c>500ms</c> or <c>1h</c>.</summary>
    public static TimeSpan? Duration(string text)
    {
        if (text.Length == 0 || text.Length > 32)
        {
            return null;
        }

        var total = TimeSpan.Zero;
        var rest = text.AsSpan();
        while (rest.Length > 0)
        {
            var match = DurationPartPattern().Match(rest.ToString());
            if (!match.Success)
            {
                return null;
            }

            var number = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
            total += match.Groups[2].Value switch
            {
                "us" => TimeSpan.FromMicroseconds(number),
                "ms" => TimeSpan.FromMilliseconds(number),
                "s" => TimeSpan.FromSeconds(number),
                "m" => TimeSpan.FromMinutes(number),
                _ => TimeSpan.FromHours(number),
            };
            rest = rest[match.Length..];
        }

        return total;
    }

    private static long? ToMiB(string number, double factor)
    {
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value * factor) || value <= 0)
        {
            return null;
        }

        var mib = Math.Ceiling(value * factor / MiB);
        return mib > long.MaxValue / 2 ? null : (long)mib;
    }

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)([bBkKmMgG][bB]?)?$")]
    private static partial Regex ComposeMemoryPattern();

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)(k|M|G|T|Ki|Mi|Gi|Ti)?$")]
    private static partial Regex KubeMemoryPattern();

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)(us|ms|s|m|h)")]
    private static partial Regex DurationPartPattern();
}
