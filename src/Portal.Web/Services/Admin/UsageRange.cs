using System.Globalization;

namespace Portal.Web.Services.Admin;

/// <summary>A range of whole UTC days for the accounting report, from the query string's <c>from</c> and
/// <c>to</c> (both inclusive, <c>yyyy-MM-dd</c>).</summary>
public sealed record UsageRange(DateOnly From, DateOnly To)
{
    /// <summary>The longest range one report covers: ten years of days is still a small file.</summary>
    public const int MaxDays = 3660;

    public DateTimeOffset Start => new(From.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    /// <summary>The end, exclusive: midnight after <see cref="To"/>.</summary>
    public DateTimeOffset End => new(To.AddDays(1).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);

    public string FileName => $"gpu-usage-{Text(From)}-to-{Text(To)}.csv";

    public static string Text(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>The range, or the sentence that says what is wrong with the input.</summary>
    public static (UsageRange? Range, string? Problem) Parse(string? from, string? to)
    {
        if (string.IsNullOrWhiteSpace(from) || string.IsNullOrWhiteSpace(to))
        {
            return (null, "Give both 'from' and 'to' as yyyy-MM-dd (UTC days, both included).");
        }

        if (!DateOnly.TryParseExact(from.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start))
        {
            return (null, $"'from' is '{from}'; write it as yyyy-MM-dd, e.g. 2026-11-01.");
        }

        if (!DateOnly.TryParseExact(to.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var end))
        {
            return (null, $"'to' is '{to}'; write it as yyyy-MM-dd, e.g. 2026-11-30.");
        }

        if (end < start)
        {
            return (null, $"'to' ({Text(end)}) is before 'from' ({Text(start)}).");
        }

        if (end.DayNumber - start.DayNumber + 1 > MaxDays)
        {
            return (null, $"The range covers {end.DayNumber - start.DayNumber + 1} days; ask for at most {MaxDays} at a time.");
        }

        return (new UsageRange(start, end), null);
    }
}
