using System.Globalization;
using Portal.Core.Jobs;
using Portal.Core.Sessions;

namespace Portal.Web.Services.Admin;

/// <summary>
/// A quota group's idle-reclaim settings as typed into its page: minutes for the window and the warning, a percentage
/// for the GPU threshold, hours for the longest keep. An empty window turns reclaim off for the group; the other
/// fields, left empty, take the built-in defaults.
/// </summary>
public sealed class IdleForm
{
    private const double MaxWindowMinutes = 30 * 24 * 60;
    private const double MaxKeepHours = 366 * 24;

    public string WindowMinutes { get; set; } = "";

    public string GraceMinutes { get; set; } = "";

    public string GpuThresholdPercent { get; set; } = "";

    public string KeepLimitHours { get; set; } = "";

    public static IdleForm From(SessionIdleSettings? settings) => new()
    {
        WindowMinutes = Text(settings?.Window?.TotalMinutes),
        GraceMinutes = Text(settings?.Grace?.TotalMinutes),
        GpuThresholdPercent = Text(settings?.GpuThresholdPercent),
        KeepLimitHours = Text(settings?.KeepLimit?.TotalHours),
    };

    /// <summary>Reads the form; every problem at once, by field name.</summary>
    public (SessionIdleSettings? Settings, IReadOnlyList<FieldError> Errors) ToSettings()
    {
        var errors = new List<FieldError>();
        double? window = Number(nameof(WindowMinutes), WindowMinutes, "The idle window (minutes)", MaxWindowMinutes, zeroAllowed: false);
        double? grace = Number(nameof(GraceMinutes), GraceMinutes, "The warning (minutes)", MaxWindowMinutes, zeroAllowed: true);
        double? threshold = Number(nameof(GpuThresholdPercent), GpuThresholdPercent, "The GPU threshold (%)", 100, zeroAllowed: true);
        double? keep = Number(nameof(KeepLimitHours), KeepLimitHours, "The longest keep (hours)", MaxKeepHours, zeroAllowed: false);
        if (errors.Count > 0)
        {
            return (null, errors);
        }

        var settings = new SessionIdleSettings(
            window is { } w ? Seconds(w * 60) : null,
            grace is { } g ? Seconds(g * 60) : null,
            threshold,
            keep is { } k ? Seconds(k * 3600) : null);
        foreach ((string field, string message) in settings.Problems())
        {
            errors.Add(new FieldError(field switch
            {
                nameof(SessionIdleSettings.Window) => nameof(WindowMinutes),
                nameof(SessionIdleSettings.Grace) => nameof(GraceMinutes),
                nameof(SessionIdleSettings.GpuThresholdPercent) => nameof(GpuThresholdPercent),
                _ => nameof(KeepLimitHours),
            }, message));
        }

        return errors.Count > 0 ? (null, errors) : (settings, errors);

        double? Number(string field, string text, string label, double max, bool zeroAllowed)
        {
            if (string.IsNullOrWhiteSpace(text))
            {
                return null;
            }

            if (!double.TryParse(text.Trim(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double value)
                || value > max || (!zeroAllowed && value == 0))
            {
                errors.Add(new FieldError(field, string.Create(CultureInfo.InvariantCulture,
                    $"{label} must be a number {(zeroAllowed ? "from 0" : "above 0")} up to {max}.")));
                return null;
            }

            return value;
        }
    }

    /// <summary>The settings in one line for the audit log.</summary>
    public static string Describe(SessionIdleSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Window is null
            ? "idle reclaim off"
            : string.Create(CultureInfo.InvariantCulture,
                $"idle window {settings.Window}, warning {settings.Grace?.ToString() ?? "default"}, gpu threshold {settings.GpuThresholdPercent?.ToString(CultureInfo.InvariantCulture) ?? "default"} %, longest keep {settings.KeepLimit?.ToString() ?? "default"}");
    }

    // Whole seconds: nobody means a fraction of a second, and PostgreSQL would keep microseconds.
    private static TimeSpan Seconds(double seconds) => TimeSpan.FromSeconds(Math.Max(1, Math.Round(seconds)));

    private static string Text(double? value) => value?.ToString("0.####", CultureInfo.InvariantCulture) ?? "";
}
