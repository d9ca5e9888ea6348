using System.Globalization;
using System.Text.RegularExpressions;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>Reads samples out of the Prometheus text format, matching a series by name and a subset of its labels
/// (the exporter adds labels of its own, such as the meter's name).</summary>
public static partial class PrometheusText
{
    /// <summary>The value of the first sample named <paramref name="name"/> that has all <paramref name="labels"/>, or null.</summary>
    public static double? Value(string text, string name, params (string Key, string Value)[] labels)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var line in text.Split('\n'))
        {
            var sample = Sample().Match(line);
            if (!sample.Success || sample.Groups["name"].Value != name)
            {
                continue;
            }

            var have = Label().Matches(sample.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value, StringComparer.Ordinal);
            if (labels.All(l => have.TryGetValue(l.Key, out var v) && v == l.Value))
            {
                return double.Parse(sample.Groups["value"].Value, CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})?\s+(?<value>\S+)")]
    private static partial Regex Sample();

    [GeneratedRegex("([a-zA-Z_][a-zA-Z0-9_]*)=\"([^\"]*)\"")]
    private static partial Regex Label();
}
