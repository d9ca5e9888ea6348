using System.Globalization;
using Portal.Core.Gpus;
using Portal.Web.Services.Gpus;

namespace Portal.Web.Components.Gpus;

/// <summary>How GPU values read on the dashboard. A value the driver does not report shows as "N/A", never as 0,
/// so an idle GPU and a GPU that hides its numbers (MIG, older boards) look different.</summary>
internal static class GpuFormat
{
    public const string NotAvailable = "N/A";

    public static string Percent(double? value) => value is { } v ? $"{Round(v)} %" : NotAvailable;

    public static string Celsius(double? value) => value is { } v ? $"{Round(v)} °C" : NotAvailable;

    public static string Watts(double? value) => value is { } v ? $"{Round(v)} W" : NotAvailable;

    public static string MiB(long? value) => value is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v} MiB") : NotAvailable;

    /// <summary>"12.3 / 80.0 GiB"; either side N/A when unknown.</summary>
    public static string Memory(long? usedMiB, long? totalMiB)
    {
        if (usedMiB is null && totalMiB is null)
        {
            return NotAvailable;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{Gib(usedMiB)} / {Gib(totalMiB)} GiB");
    }

    public static double? MemoryPercent(GpuSample? sample) =>
        sample is { MemoryUsedMiB: { } used, MemoryTotalMiB: > 0 and { } total } ? 100.0 * used / total : null;

    /// <summary>A percentage as a whole number, for a bar's <c>aria-valuenow</c>.</summary>
    public static string Whole(double percent) => Round(Math.Clamp(percent, 0, 100));

    /// <summary>The style of a bar's filled part: "width: 37.5%", within 0–100.</summary>
    public static string BarWidth(double percent) =>
        string.Create(CultureInfo.InvariantCulture, $"width: {Math.Clamp(percent, 0, 100):0.#}%");

    public static string Owner(GpuProcessInfo process) => process switch
    {
        { OwnerName: { } name, OwnerUid: { } uid } => string.Create(CultureInfo.InvariantCulture, $"{name} (uid {uid})"),
        { OwnerUid: { } uid } => string.Create(CultureInfo.InvariantCulture, $"uid {uid}"),
        _ => "owner unknown",
    };

    private static string Gib(long? mib) =>
        mib is { } v ? (v / 1024.0).ToString("0.0", CultureInfo.InvariantCulture) : NotAvailable;

    private static string Round(double value) => Math.Round(value).ToString("0", CultureInfo.InvariantCulture);
}
