namespace Portal.Core.Bookings;

/// <summary>
/// GPUs set aside for one holder over a time window ("2 GPUs for alice, Friday 09:00-18:00"). While it is in force,
/// the scheduler starts nobody else's job on those GPUs if the job's walltime would reach into the window, and starts
/// the holder's jobs on them first.
/// </summary>
/// <param name="Id">The booking's id (0 before it is stored).</param>
/// <param name="Holder">The portal user the GPUs are set aside for.</param>
/// <param name="GpuUuids">The GPUs.</param>
/// <param name="Start">When the window opens.</param>
/// <param name="End">When it closes (exclusive).</param>
/// <param name="Note">What it is for, shown on the calendar.</param>
public sealed record GpuBooking(long Id, string Holder, IReadOnlyList<string> GpuUuids, DateTimeOffset Start, DateTimeOffset End, string? Note)
{
    /// <summary>Whether the window is open at <paramref name="at"/>.</summary>
    public bool IsActiveAt(DateTimeOffset at) => Start <= at && at < End;

    /// <summary>Whether the window shares time with <c>[from, to)</c>.</summary>
    public bool Overlaps(DateTimeOffset from, DateTimeOffset to) => Start < to && from < End;

    /// <summary>A short name for messages: "booking 7 (alice, 2026-12-04 09:00-18:00 UTC)".</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"booking {Id} ({Holder}, {Start:yyyy-MM-dd HH:mm}-{(End.Date == Start.Date ? End.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture) : End.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture))} UTC)");
}
