using Microsoft.EntityFrameworkCore;
using Portal.Core.Notifications;
using Portal.Data.Entities.Notifications;

namespace Portal.Data.Notifications;

/// <summary>
/// Adds notifications, and one outbox row per outside channel their user chose, to the context of the change that
/// caused them: they commit or roll back with it (a job's move, a booking's notice marker), so nothing is told twice
/// or lost.
/// </summary>
internal static class NotificationOutbox
{
    public static async Task AddAsync(
        PortalDbContext db, Guid ownerId, long jobId, string jobName, IReadOnlyList<JobNotification> notifications,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        foreach (var notification in notifications)
        {
            await AddAsync(db, ownerId, notification.Kind, portal => new NotificationRecord(
                ownerId, notification.Kind, jobId, jobName, notification.State.ToString(), notification.ExitCode,
                notification.Detail, notification.At, portal), now, cancellationToken);
        }
    }

    /// <summary>Adds one notification of <paramref name="kind"/> for <paramref name="userId"/>, made by
    /// <paramref name="make"/> (given whether the bell shows it), when the user wants that kind on any channel.</summary>
    /// <returns>Whether one was added.</returns>
    public static async Task<bool> AddAsync(
        PortalDbContext db, Guid userId, NotificationKinds kind, Func<bool, NotificationRecord> make, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        var settings = await db.NotificationSettings.AsNoTracking()
            .SingleOrDefaultAsync(s => s.UserId == userId, cancellationToken) ?? new NotificationSettingsRecord(userId);
        var hasEmail = await db.Users.AsNoTracking()
            .AnyAsync(u => u.Id == userId && u.Email != null && u.Email != "", cancellationToken);
        var portal = settings.KindsFor(NotificationChannel.Portal).HasFlag(kind);
        var email = hasEmail && settings.KindsFor(NotificationChannel.Email).HasFlag(kind);
        var webhook = settings.KindsFor(NotificationChannel.Webhook).HasFlag(kind);
        if (!portal && !email && !webhook)
        {
            return false;
        }

        var record = make(portal);
        db.Notifications.Add(record);
        if (email)
        {
            db.NotificationDeliveries.Add(new NotificationDeliveryRecord(record, NotificationChannel.Email, now));
        }

        if (webhook)
        {
            db.NotificationDeliveries.Add(new NotificationDeliveryRecord(record, NotificationChannel.Webhook, now));
        }

        return true;
    }
}
