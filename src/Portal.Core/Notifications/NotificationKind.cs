namespace Portal.Core.Notifications;

/// <summary>
/// What a notification is about. The values are flags so a user's choice per channel is one set, stored as that
/// number: never renumber one. A new kind (an idle warning, a reclaim, a reservation starting) is added here, with
/// the next free bit, when its event exists.
/// </summary>
[Flags]
public enum NotificationKinds
{
    None = 0,

    /// <summary>The job's container runs.</summary>
    JobStarted = 1,

    /// <summary>A job that ran (or was withdrawn) reached a final state: with its state and exit code.</summary>
    JobEnded = 2,

    /// <summary>The job never ran: the launcher, podman or the cluster refused it; with the reason.</summary>
    JobFailedToStart = 4,

    /// <summary>A running job's GPUs stayed idle for its owner's idle window: it is reclaimed after the grace period
    /// unless a GPU gets busy or the owner keeps it.</summary>
    IdleWarning = 8,

    /// <summary>A job was stopped by idle reclaim (its GPUs went back to the queue).</summary>
    Reclaimed = 16,

    /// <summary>Every kind that exists today.</summary>
    All = JobStarted | JobEnded | JobFailedToStart | IdleWarning | Reclaimed,
}

/// <summary>Where a notification goes.</summary>
public enum NotificationChannel
{
    /// <summary>The bell in the portal's top bar.</summary>
    Portal,

    /// <summary>An email to the account's address, through the administrator's SMTP server.</summary>
    Email,

    /// <summary>An HTTP POST to the user's webhook, signed with its secret.</summary>
    Webhook,
}
