using Microsoft.EntityFrameworkCore;
using Portal.Core.Notifications;
using Portal.Data.Entities.Notifications;

namespace Portal.Data.Notifications;

/// <summary>One outbox row to send now, with what the sender needs to word and address it.</summary>
/// <param name="DeliveryId">The outbox row.</param>
/// <param name="Channel">Email or webhook.</param>
/// <param name="Attempt">This attempt's number, from 1.</param>
/// <param name="Notification">What to say.</param>
/// <param name="UserName">The portal account it is for.</param>
/// <param name="Email">The account's address (email deliveries).</param>
/// <param name="WebhookUrl">The user's webhook (webhook deliveries).</param>
/// <param name="WebhookSecretProtected">Its protected secret.</param>
/// <param name="WebhookSlackFormat">Whether to post <c>{"text": ...}</c>.</param>
public sealed record DeliveryWork(
    long DeliveryId, NotificationChannel Channel, int Attempt, NotificationView Notification, string UserName,
    string? Email, string? WebhookUrl, string? WebhookSecretProtected, bool WebhookSlackFormat);

/// <summary>What one attempt came to: delivered, or the error (and whether trying again can help).</summary>
public sealed record DeliveryOutcome(string? Error, bool Permanent = false)
{
    public static DeliveryOutcome Delivered { get; } = new((string?)null);

    public bool Succeeded => Error is null;
}

/// <summary>
/// The dispatcher's side of the outbox. Each call takes the oldest due row under <c>FOR UPDATE SKIP LOCKED</c>,
/// holds that lock while the row is sent, and records the outcome before committing: a second dispatcher skips the
/// row, a crash before the commit leaves it due (it is sent again: at least once), and a normal run sends it once.
/// </summary>
public sealed class NotificationDeliveries(IDbContextFactory<PortalDbContext> contextFactory, TimeProvider timeProvider)
{
    /// <summary>Sends the oldest due row through <paramref name="send"/>; false when nothing is due.</summary>
    /// <param name="send">Sends one; returns its outcome (it should not throw, but a throw counts as a failed attempt).</param>
    /// <param name="retryDelay">The wait before attempt n+1 after attempt n failed, or null to give up.</param>
    /// <param name="cancellationToken">Stops the work; a row being sent stays due.</param>
    public async Task<bool> DeliverNextAsync(
        Func<DeliveryWork, CancellationToken, Task<DeliveryOutcome>> send, Func<int, TimeSpan?> retryDelay,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(send);
        ArgumentNullException.ThrowIfNull(retryDelay);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = timeProvider.GetUtcNow();
        var due = await db.NotificationDeliveries.FromSql($"""
            SELECT * FROM "NotificationDeliveries"
            WHERE "DeliveredAt" IS NULL AND "GaveUpAt" IS NULL AND "NextAttemptAt" <= {now}
            ORDER BY "NextAttemptAt", "Id" LIMIT 1 FOR UPDATE SKIP LOCKED
            """).ToListAsync(cancellationToken);
        if (due.SingleOrDefault() is not { } delivery)
        {
            return false;
        }

        var notification = await db.Notifications.AsNoTracking().SingleAsync(n => n.Id == delivery.NotificationId, cancellationToken);
        var user = await db.Users.AsNoTracking().Where(u => u.Id == notification.UserId)
            .Select(u => new { u.UserName, u.Email }).SingleAsync(cancellationToken);
        var settings = await db.NotificationSettings.AsNoTracking().SingleOrDefaultAsync(s => s.UserId == notification.UserId, cancellationToken)
            ?? new NotificationSettingsRecord(notification.UserId);

        // The user may have turned the channel off, or removed the address, since the job moved: then nothing is sent.
        var stillWanted = settings.KindsFor(delivery.Channel).HasFlag(notification.Kind)
            && (delivery.Channel != NotificationChannel.Email || !string.IsNullOrEmpty(user.Email));
        if (!stillWanted)
        {
            delivery.Dropped(now, $"Not sent: {delivery.Channel} is no longer set up for this kind of notification.");
        }
        else
        {
            var work = new DeliveryWork(
                delivery.Id, delivery.Channel, delivery.Attempts + 1,
                new NotificationView(notification.Id, notification.Kind, notification.JobId, notification.JobName, notification.State,
                    notification.ExitCode, notification.Detail, notification.CreatedAt, notification.ReadAt, notification.Subject),
                user.UserName ?? "", user.Email, settings.WebhookUrl, settings.WebhookSecretProtected, settings.WebhookSlackFormat);
            DeliveryOutcome outcome;
            try
            {
                outcome = await send(work, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                outcome = new DeliveryOutcome(e.Message);
            }

            var at = timeProvider.GetUtcNow();
            if (outcome.Succeeded)
            {
                delivery.Delivered(at);
            }
            else
            {
                var wait = outcome.Permanent ? null : retryDelay(delivery.Attempts + 1);
                delivery.Failed(at, outcome.Error!, at + wait);
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>When the next row falls due, or null when none waits.</summary>
    public async Task<DateTimeOffset?> NextDueAsync(CancellationToken cancellationToken)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.NotificationDeliveries.AsNoTracking()
            .Where(d => d.DeliveredAt == null && d.GaveUpAt == null)
            .OrderBy(d => d.NextAttemptAt)
            .Select(d => (DateTimeOffset?)d.NextAttemptAt)
            .FirstOrDefaultAsync(cancellationToken);
    }
}
