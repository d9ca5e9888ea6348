using System.Globalization;
using Microsoft.AspNetCore.Components;
using Portal.Data.Bookings;
using Portal.Web.Services.Bookings;

namespace Portal.Web.Components.Bookings;

public sealed partial class BookingCalendar
{
    private IReadOnlyList<string> _gpus = [];
    private IReadOnlyList<BookingView> _week = [];
    private bool _loaded;

    [Inject] private BookingStore Store { get; set; } = default!;

    [Inject] private TimeProvider Clock { get; set; } = default!;

    /// <summary>The signed-in user, whose own bookings are marked.</summary>
    [Parameter] public Guid? UserId { get; set; }

    /// <summary>Shown on the dashboard: it links to the bookings page (where the form is), and a box with nothing to
    /// book shows no calendar at all.</summary>
    [Parameter] public bool OnDashboard { get; set; }

    private DateTime Today => Clock.GetUtcNow().UtcDateTime.Date;

    /// <summary>The Monday the shown week starts on (UTC).</summary>
    private DateTime WeekStart { get; set; }

    private IEnumerable<DateTime> Days => Enumerable.Range(0, 7).Select(i => WeekStart.AddDays(i));

    protected override async Task OnInitializedAsync()
    {
        WeekStart = Monday(Today);
        await LoadAsync();
    }

    /// <summary>Shows the week that holds <paramref name="day"/> (after a booking, the week it starts in).</summary>
    public async Task ShowWeekOfAsync(DateTime day)
    {
        WeekStart = Monday(day.Date);
        await ReloadAsync();
    }

    /// <summary>Reads the shown week's bookings again and shows them (after a booking is made or deleted elsewhere).</summary>
    public async Task ReloadAsync()
    {
        await LoadAsync();
        StateHasChanged();
    }

    private async Task LoadAsync()
    {
        var from = new DateTimeOffset(WeekStart, TimeSpan.Zero);
        _week = await Store.ListAsync(from, from.AddDays(7));
        var bookable = await Store.BookableGpusAsync();
        // A booked GPU that has since gone or been drained still shows its row, so no booking is hidden.
        _loaded = true;
        _gpus = [.. bookable, .. _week.SelectMany(b => b.GpuUuids).Distinct(StringComparer.Ordinal).Where(u => !bookable.Contains(u, StringComparer.Ordinal)).Order(StringComparer.Ordinal)];
    }

    private async Task MoveWeekAsync(int weeks)
    {
        WeekStart = weeks == 0 ? Monday(Today) : WeekStart.AddDays(7 * weeks);
        await LoadAsync();
    }

    private IEnumerable<BookingView> BlocksOn(string gpu, DateTime day)
    {
        var from = new DateTimeOffset(day, TimeSpan.Zero);
        return _week.Where(b => b.GpuUuids.Contains(gpu, StringComparer.Ordinal) && b.Start < from.AddDays(1) && from < b.End);
    }

    /// <summary>Where a booking's block sits in a day's cell, as percentages of the day.</summary>
    private static (double Left, double Width) Place(BookingView booking, DateTime day)
    {
        var from = new DateTimeOffset(day, TimeSpan.Zero);
        var start = booking.Start < from ? from : booking.Start;
        var end = booking.End > from.AddDays(1) ? from.AddDays(1) : booking.End;
        return ((start - from).TotalDays * 100, Math.Max((end - start).TotalDays * 100, 2));
    }

    private static string Style(double left, double width) =>
        string.Create(CultureInfo.InvariantCulture, $"left: {left:0.##}%; width: {width:0.##}%");

    private static string Hours(BookingView booking, DateTime day)
    {
        var from = new DateTimeOffset(day, TimeSpan.Zero);
        var start = booking.Start < from ? "…" : booking.Start.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture);
        var end = booking.End > from.AddDays(1) ? "…" : booking.End.UtcDateTime.ToString("HH:mm", CultureInfo.InvariantCulture);
        return $"{start}–{end}";
    }

    /// <summary>A booking in words, as the calendar's list and the bookings page's own list say it.</summary>
    internal static string Describe(BookingView booking) =>
        string.Create(CultureInfo.InvariantCulture, $"Booking {booking.Id}: ") + BookingEditor.Describe(booking) + (booking.Note is { } note ? $" ({note})" : "");

    private static string Short(string uuid) => uuid.Length > 12 ? uuid[..12] + "…" : uuid;

    internal static DateTime Monday(DateTime day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));
}
