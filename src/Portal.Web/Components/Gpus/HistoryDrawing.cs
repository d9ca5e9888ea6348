using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Portal.Web.Services.Gpus;

namespace Portal.Web.Components.Gpus;

/// <summary>
/// What the history chart draws for one points array: SVG point lists (x 0–<see cref="Width"/> across the span, y 0–100
/// with 100 % at the top), the time labels and the summary. A GPU's points array is shared by every circuit and
/// replaced only when a history point closes, so the drawing is made once per array and every circuit's render
/// tree holds the same strings: an open dashboard then costs a few render frames for its charts, not its own copy
/// of an hour of points.
/// </summary>
internal sealed record HistoryDrawing(TimeSpan Window, string Utilization, string Memory, string From, string To, string Summary)
{
    /// <summary>The x extent of the point lists (the SVG's viewBox width).</summary>
    public const int Width = 600;

    private static readonly ConditionalWeakTable<IReadOnlyList<GpuHistoryPoint>, HistoryDrawing> Drawn = [];

    public bool IsEmpty => Utilization.Length == 0 && Memory.Length == 0;

    /// <summary>The drawing of <paramref name="points"/> within <paramref name="window"/> of its newest point.</summary>
    public static HistoryDrawing Of(IReadOnlyList<GpuHistoryPoint> points, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(points);
        if (Drawn.TryGetValue(points, out var drawn) && drawn.Window == window)
        {
            return drawn;
        }

        drawn = Draw(points, window);
        Drawn.AddOrUpdate(points, drawn);
        return drawn;
    }

    private static HistoryDrawing Draw(IReadOnlyList<GpuHistoryPoint> points, TimeSpan window)
    {
        // Points older than the window stay in the ring after a gap (nvidia-smi down): leave them off the chart.
        var shown = points.Count == 0 ? [] : points.Where(p => p.At >= points[^1].At - window).ToList();
        if (shown.Count == 0)
        {
            return new HistoryDrawing(window, "", "", "", "", "(UTC)");
        }

        var from = shown[0].At;
        var span = shown[^1].At - from;
        var utilization = Line(shown, p => p.UtilizationPercent, from, span);
        var memory = Line(shown, p => p.MemoryPercent, from, span);
        var values = shown.Select(p => p.UtilizationPercent).OfType<double>().Select(u => Math.Round(u, 1)).ToList();
        var summary = values.Count > 0
            ? string.Create(CultureInfo.InvariantCulture, $"(UTC): utilization averaged {values.Average():0} %, peak {values.Max():0} %")
            : "(UTC)";
        var format = span < TimeSpan.FromMinutes(2) ? "HH:mm:ss" : "HH:mm";
        return new HistoryDrawing(window, utilization, memory,
            from.UtcDateTime.ToString(format, CultureInfo.InvariantCulture),
            shown[^1].At.UtcDateTime.ToString(format, CultureInfo.InvariantCulture),
            summary);
    }

    // "x,y x,y ..."; a lone point is drawn as a short flat segment so it still shows.
    private static string Line(List<GpuHistoryPoint> points, Func<GpuHistoryPoint, double?> value, DateTimeOffset from, TimeSpan span)
    {
        var line = new StringBuilder();
        var drawn = 0;
        foreach (var point in points)
        {
            if (value(point) is not { } v)
            {
                continue;
            }

            var x = span > TimeSpan.Zero ? (point.At - from) / span * Width : Width;
            var y = 100 - Math.Clamp(v, 0, 100);
            line.Append(CultureInfo.InvariantCulture, $"{(drawn++ > 0 ? " " : "")}{x:0.#},{y:0.#}");
            if (span == TimeSpan.Zero)
            {
                line.Append(CultureInfo.InvariantCulture, $" 0,{y:0.#}");
            }
        }

        return line.ToString();
    }
}
