using Microsoft.Extensions.Options;
using Portal.Data.Notifications;

namespace Portal.Web.Services.Bookings;

/// <summary>
/// Every <see cref="BookingOptions.StartingCheckInterval"/>, tells each booking's holder once that it opens within
/// <see cref="BookingOptions.StartingNoticeBefore"/> (<see cref="SystemNotifications.NotifyBookingsStartingAsync"/>:
/// the booking keeps a marker, so a restart does not tell twice). A booking made closer to its start than the notice
/// is told at the next pass; one that has opened already is never told.
/// </summary>
public sealed partial class BookingStartingNotifier(
    SystemNotifications notifications, IOptions<BookingOptions> options, TimeProvider clock, ILogger<BookingStartingNotifier> logger)
    : PeriodicPassService(clock, logger)
{
    protected override TimeSpan Interval => options.Value.StartingCheckInterval;

    protected override string PassName => "booking starting notice";

    /// <summary>One pass; returns the bookings whose holders were told.</summary>
    public async Task<IReadOnlyList<long>> NotifyDueAsync(CancellationToken cancellationToken)
    {
        if (options.Value.StartingNoticeBefore <= TimeSpan.Zero)
        {
            return [];
        }

        var told = await notifications.NotifyBookingsStartingAsync(options.Value.StartingNoticeBefore, cancellationToken);
        foreach (var id in told)
        {
            LogTold(id);
        }

        return told;
    }

    protected override Task PassAsync(CancellationToken cancellationToken) => NotifyDueAsync(cancellationToken);

    [LoggerMessage(Level = LogLevel.Information, Message = "Booking {BookingId} opens soon: its holder was notified")]
    private partial void LogTold(long bookingId);
}
