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
    private BookingCalendar? _calendar;
    private IReadOnlyList<BookingView> _open = [];
    private IReadOnlyList<(string Field, string Message)> _errors = [];
    private string? _message;
    private bool _messageIsError;

    [Inject] private BookingStore Store { get; set; } = default!;

    [Inject] private BookingEditor Editor { get; set; } = default!;

    [Inject] private TimeProvider Clock { get; set; } = default!;

    [Inject] private AuthenticationStateProvider Authentication { get; set; } = default!;

    private DateTime Today => Clock.GetUtcNow().UtcDateTime.Date;

    private Guid? UserId => _user?.Id;

    // Administrators may delete any booking that has not ended; users their own.
    private IReadOnlyList<BookingView> Deletable => [.. _open.Where(b => _user?.IsAdmin == true || b.HolderId == _user?.Id)];

    protected override async Task OnInitializedAsync()
    {
        _user = CurrentUser.From((await Authentication.GetAuthenticationStateAsync()).User);
        Input.Start = Today.AddDays(1).AddHours(9);
        Input.End = Today.AddDays(1).AddHours(18);
        await LoadAsync();
    }

    // After a booking the calendar turns to the week it starts in; otherwise it reads its week again.
    private async Task LoadAsync(DateTime? showWeekOf = null)
    {
        _open = await Store.ListAsync(Clock.GetUtcNow(), DateTimeOffset.MaxValue);
        _gpus = await Store.BookableGpusAsync();
        if (_calendar is null)
        {
            return;
        }

        if (showWeekOf is { } day)
        {
            await _calendar.ShowWeekOfAsync(day);
        }
        else
        {
            await _calendar.ReloadAsync();
        }
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
        DateTime? showWeekOf = null;
        if (outcome.Booking is { } booking)
        {
            _message = $"Booked: {BookingEditor.Describe(booking)} (booking {booking.Id.ToString(CultureInfo.InvariantCulture)}).";
            _messageIsError = false;
            showWeekOf = booking.Start.UtcDateTime;
        }
        else
        {
            _message = "Not booked: fix what is marked.";
            _messageIsError = true;
            _errors = [.. outcome.Refusals.Select(r => (r.Field, r.Message))];
        }

        await LoadAsync(showWeekOf);
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
