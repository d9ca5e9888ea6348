using System.Globalization;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Portal.Data.Bookings;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Bookings;

namespace Portal.Web.Components.Bookings;

public sealed partial class BookingBoard
{
    private readonly BookingInput Input = new();
    private CurrentUser? _user;
    private IReadOnlyList<string> _gpus = [];
    private IReadOnlyList<BookingView> _week = [];
    private IReadOnlyList<BookingView> _open = [];
    private IReadOnlyList<(string Field, string Message)> _errors = [];
    private string? _message;
    private bool _messageIsError;

    [Inject] private BookingStore Store { get; set; } = default!;

    [Inject] private BookingEditor Editor { get; set; } = default!;

    [Inject] private TimeProvider Clock { get; set; } = default!;

    [Inject] private AuthenticationStateProvider Authentication { get; set; } = default!;

    private DateTime Today => Clock.GetUtcNow().UtcDateTime.Date;

    /// <summary>The Monday the shown week starts on (UTC).</summary>
    private DateTime WeekStart { get; set; }

    private IEnumerable<DateTime> Days => Enumerable.Range(0, 7).Select(i => WeekStart.AddDays(i));

    private Guid? UserId => _user?.Id;

    // Administrators may delete any booking that has not ended; users their own.
    private IReadOnlyList<BookingView> Deletable => [.. _open.Where(b => _user?.IsAdmin == true || b.HolderId == _user?.Id)];

    protected override async Task OnInitializedAsync()
    {
        _user = CurrentUser.From((await Authentication.GetAuthenticationStateAsync()).User);
        WeekStart = Monday(Today);
        Input.Start = Today.AddDays(1).AddHours(9);
        Input.End = Today.AddDays(1).AddHours(18);
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        var now = Clock.GetUtcNow();
        var from = new DateTimeOffset(WeekStart, TimeSpan.Zero);
        _week = await Store.ListAsync(from, from.AddDays(7));
        _open = await Store.ListAsync(now, DateTimeOffset.MaxValue);
        var bookable = await Store.BookableGpusAsync();
        // A booked GPU that has since gone or been drained still shows its row, so no booking is hidden.
        _gpus = [.. bookable, .. _week.SelectMany(b => b.GpuUuids).Distinct(StringComparer.Ordinal).Where(u => !bookable.Contains(u, StringComparer.Ordinal)).Order(StringComparer.Ordinal)];
    }

    private async Task MoveWeekAsync(int weeks)
    {
        WeekStart = weeks == 0 ? Monday(Today) : WeekStart.AddDays(7 * weeks);
        await LoadAsync();
    }

    private async Task BookAsync()
    {
        _message = null;
        _errors = [];
        if (_user is null)
        {
            return;
        }

        var uuids = string.IsNullOrEmpty(Input.GpuUuid) ? [] : new[] { Input.GpuUuid };
        var ask = new BookingAsk(string.IsNullOrWhiteSpace(Input.ForUser) ? null : Input.ForUser.Trim(), uuids.Length > 0 ? 0 : Input.GpuCount, uuids,
            new DateTimeOffset(DateTime.SpecifyKind(Input.Start, DateTimeKind.Utc)), new DateTimeOffset(DateTime.SpecifyKind(Input.End, DateTimeKind.Utc)),
            string.IsNullOrWhiteSpace(Input.Note) ? null : Input.Note);
        var outcome = await Editor.CreateAsync(_user, ask, "on the bookings page", CancellationToken.None);
        if (outcome.Booking is { } booking)
        {
            _message = $"Booked: {BookingEditor.Describe(booking)} (booking {booking.Id.ToString(CultureInfo.InvariantCulture)}).";
            _messageIsError = false;
            WeekStart = Monday(booking.Start.UtcDateTime.Date);
        }
        else
        {
            _message = "Not booked: fix what is marked.";
            _messageIsError = true;
            _errors = [.. outcome.Refusals.Select(r => (r.Field, r.Message))];
        }

        await LoadAsync();
    }

    private async Task DeleteAsync(long id)
    {
        if (_user is null)
        {
            return;
        }

        var deleted = await Editor.DeleteAsync(_user, id, anyone: _user.IsAdmin, "on the bookings page", CancellationToken.None);
        _message = deleted is null ? $"There is no booking {id.ToString(CultureInfo.InvariantCulture)} of yours." : $"Deleted booking {id.ToString(CultureInfo.InvariantCulture)}.";
        _messageIsError = deleted is null;
        await LoadAsync();
    }

    private IReadOnlyList<string> ErrorsOf(string field) => [.. _errors.Where(e => e.Field == field).Select(e => e.Message)];

    private string? Invalid(string field) => _errors.Any(e => e.Field == field) ? "true" : null;

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

    private static string Describe(BookingView booking) =>
        string.Create(CultureInfo.InvariantCulture, $"Booking {booking.Id}: ") + BookingEditor.Describe(booking) + (booking.Note is { } note ? $" ({note})" : "");

    private static string Short(string uuid) => uuid.Length > 12 ? uuid[..12] + "…" : uuid;

    private static DateTime Monday(DateTime day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));

    private sealed class BookingInput
    {
        public int GpuCount { get; set; } = 1;

        public string GpuUuid { get; set; } = "";

        public DateTime Start { get; set; }

        public DateTime End { get; set; }

        public string? ForUser { get; set; }

        public string? Note { get; set; }
    }
}
