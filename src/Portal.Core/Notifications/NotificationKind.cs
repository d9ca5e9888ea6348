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

    /// <summary>A process computes on a GPU outside any job, or in another user's job than the GPU's holder: told to
    /// every administrator once per case, with whether the box's policy ended it. Not about a job of the recipient.</summary>
    ForeignGpuProcess = 32,

    /// <summary>The recipient's GPU booking opens soon: which GPUs, from when to when, its note. Once per booking.</summary>
    BookingStarting = 64,

    /// <summary>Every kind that exists today.</summary>
    All = JobStarted | JobEnded | JobFailedToStart | IdleWarning | Reclaimed | ForeignGpuProcess | BookingStarting,
}

/// <summary>Groups of <see cref="NotificationKinds"/> (not enum members, so every member names one kind or all).</summary>
public static class NotificationKindSets
{
    /// <summary>The kinds about one of the recipient's jobs: they carry the job.</summary>
    public const NotificationKinds Job = NotificationKinds.JobStarted | NotificationKinds.JobEnded | NotificationKinds.JobFailedToStart
        | NotificationKinds.IdleWarning | NotificationKinds.Reclaimed;

    /// <summary>The kinds only administrators receive, and only they see in their settings.</summary>
    public const NotificationKinds AdminOnly = NotificationKinds.ForeignGpuProcess;

    /// <summary>The kinds a user may choose: every kind, less the administrators' own unless they are one.</summary>
    public static NotificationKinds ChoosableBy(bool isAdmin) => isAdmin ? NotificationKinds.All : NotificationKinds.All & ~AdminOnly;

    /// <summary>Whether <paramref name="kind"/> is exactly one kind about a job.</summary>
    public static bool IsJobKind(NotificationKinds kind) => kind != NotificationKinds.None && (Job & kind) == kind && IsSingle(kind);

    /// <summary>Whether <paramref name="kind"/> is exactly one existing kind.</summary>
    public static bool IsSingle(NotificationKinds kind) => kind != NotificationKinds.None && (NotificationKinds.All & kind) == kind
        && ((int)kind & ((int)kind - 1)) == 0;
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
