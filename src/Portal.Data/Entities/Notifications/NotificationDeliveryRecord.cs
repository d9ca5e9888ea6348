using Portal.Core.Notifications;

namespace Portal.Data.Entities.Notifications;

/// <summary>
/// The outbox: one notification still to be sent (or sent, or given up) on one outside channel. Written with the
/// notification; the dispatcher takes due rows one at a time under a row lock, sends, and records the outcome, so a
/// crash or an outage loses nothing and two dispatchers never send the same row.
/// </summary>
public sealed class NotificationDeliveryRecord
{
    public NotificationDeliveryRecord(NotificationRecord notification, NotificationChannel channel, DateTimeOffset dueAt)
    {
        ArgumentNullException.ThrowIfNull(notification);
        if (channel == NotificationChannel.Portal)
        {
            throw new ArgumentOutOfRangeException(nameof(channel), "The portal channel is the notification itself.");
        }

        Notification = notification;
        Channel = channel;
        NextAttemptAt = dueAt;
    }

    // For EF Core.
    private NotificationDeliveryRecord()
    {
    }

    /// <summary>Longest error kept.</summary>
    public const int MaxErrorLength = 500;

    public long Id { get; private set; }

    public long NotificationId { get; private set; }

    public NotificationRecord? Notification { get; private set; }

    public NotificationChannel Channel { get; private set; }

    /// <summary>Attempts made so far.</summary>
    public int Attempts { get; private set; }

    /// <summary>When the next attempt is due; meaningless once delivered or given up.</summary>
    public DateTimeOffset NextAttemptAt { get; private set; }

    public DateTimeOffset? LastAttemptAt { get; private set; }

    /// <summary>Why the last attempt failed; kept after a later success too, for the settings page.</summary>
    public string? LastError { get; private set; }

    public DateTimeOffset? DeliveredAt { get; private set; }

    /// <summary>Set when the attempts ran out or the channel is no longer set up: nothing more is tried.</summary>
    public DateTimeOffset? GaveUpAt { get; private set; }

    public bool IsPending => DeliveredAt is null && GaveUpAt is null;

    public void Delivered(DateTimeOffset at)
    {
        EnsurePending();
        Attempts++;
        LastAttemptAt = at;
        DeliveredAt = at;
    }

    /// <summary>An attempt failed: try again at <paramref name="retryAt"/>, or give up when it is null.</summary>
    public void Failed(DateTimeOffset at, string error, DateTimeOffset? retryAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(error);
        EnsurePending();
        Attempts++;
        LastAttemptAt = at;
        LastError = error.Length > MaxErrorLength ? error[..MaxErrorLength] : error;
        if (retryAt is { } next)
        {
            NextAttemptAt = next;
        }
        else
        {
            GaveUpAt = at;
        }
    }

    /// <summary>Nothing to send to any more (the user turned the channel off or removed the address).</summary>
    public void Dropped(DateTimeOffset at, string reason)
    {
        EnsurePending();
        LastError = reason;
        GaveUpAt = at;
    }

    private void EnsurePending()
    {
        if (!IsPending)
        {
            throw new InvalidOperationException($"Delivery {Id} is already settled.");
        }
    }
}
