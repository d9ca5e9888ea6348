using Microsoft.EntityFrameworkCore;
using Portal.Core.Notifications;
using Portal.Data.Entities.Notifications;

namespace Portal.Data.Notifications;

/// <summary>
/// Adds a job's notifications, and one outbox row per outside channel its owner chose, to the context of the change
/// that caused them: they commit or roll back with the job's move, so no move is told twice or lost.
/// </summary>
internal static class NotificationOutbox
{
    public static async Task AddAsync(
        PortalDbContext db, Guid ownerId, long jobId, string jobName, IReadOnlyList<JobNotification> notifications,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (notifications.Count == 0)
        {
            return;
        }

        var settings = await db.NotificationSettings.AsNoTracking()
            .SingleOrDefaultAsync(s => s.UserId == ownerId, cancellationToken) ?? new NotificationSettingsRecord(ownerId);
        var hasEmail = await db.Users.AsNoTracking()
            .AnyAsync(u => u.Id == ownerId && u.Email != null && u.Email != "", cancellationToken);
        foreach (var notification in notifications)
        {
            var portal = settings.KindsFor(NotificationChannel.Portal).HasFlag(notification.Kind);
            var email = hasEmail && settings.KindsFor(NotificationChannel.Email).HasFlag(notification.Kind);
            var webhook = settings.KindsFor(NotificationChannel.Webhook).HasFlag(notification.Kind);
            if (!portal && !email && !webhook)
            {
                continue;
            }

            var record = new NotificationRecord(
                ownerId, notification.Kind, jobId, jobName, notification.State.ToString(), notification.ExitCode,
                notification.Detail, notification.At, portal);
            db.Notifications.Add(record);
            if (email)
            {
                db.NotificationDeliveries.Add(new NotificationDeliveryRecord(record, NotificationChannel.Email, now));
            }

            if (webhook)
            {
                db.NotificationDeliveries.Add(new NotificationDeliveryRecord(record, NotificationChannel.Webhook, now));
            }
        }
    }
}
