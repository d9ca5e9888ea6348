using Portal.Core.Notifications;

namespace Portal.Data.Entities.Notifications;

/// <summary>
/// One thing its user is told: about one of their jobs (written in the transaction that records the job's move), or
/// about something that is not a job (<see cref="Subject"/>: a GPU an outside process computes on, a booking that
/// opens soon). It keeps the facts (kind, job or subject, state, exit code, recorded detail), not the words: the portal
/// words them when it shows or sends them, so the bell, the email and the webhook say the same thing.
/// </summary>
/// <remarks>A job kind always has a job and a state and no subject; any other kind has a subject and never a job.</remarks>
public sealed class NotificationRecord
{
    public NotificationRecord(Guid userId, NotificationKinds kind, long jobId, string jobName, string state, int? exitCode, string? detail, DateTimeOffset createdAt, bool showInPortal)
    {
        if (!NotificationKindSets.IsJobKind(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "A job's notification has exactly one kind about a job.");
        }

        ArgumentException.ThrowIfNullOrEmpty(state);
        UserId = userId;
        Kind = kind;
        JobId = jobId;
        JobName = jobName ?? "";
        State = state;
        ExitCode = exitCode;
        Detail = Cut(detail);
        CreatedAt = createdAt;
        ShowInPortal = showInPortal;
    }

    private NotificationRecord(Guid userId, NotificationKinds kind, string subject, string detail, DateTimeOffset createdAt, bool showInPortal)
    {
        if (!NotificationKindSets.IsSingle(kind) || NotificationKindSets.IsJobKind(kind))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "A notification without a job has exactly one kind that is not about a job.");
        }

        ArgumentException.ThrowIfNullOrEmpty(subject);
        ArgumentException.ThrowIfNullOrEmpty(detail);
        if (subject.Length > MaxSubjectLength)
        {
            throw new ArgumentException($"A subject is at most {MaxSubjectLength} characters.", nameof(subject));
        }

        UserId = userId;
        Kind = kind;
        JobName = "";
        Subject = subject;
        Detail = Cut(detail);
        CreatedAt = createdAt;
        ShowInPortal = showInPortal;
    }

    // For EF Core.
    private NotificationRecord()
    {
        JobName = "";
    }

    /// <summary>Longest detail kept (a launcher's error can be long; the job page keeps the whole text).</summary>
    public const int MaxDetailLength = 2000;

    /// <summary>Longest subject (a GPU UUID is 40 characters).</summary>
    public const int MaxSubjectLength = 200;

    /// <summary>An administrator's notice of a process computing on <paramref name="gpuUuid"/> outside its allocation.</summary>
    public static NotificationRecord ForeignGpuProcess(Guid adminId, string gpuUuid, string detail, DateTimeOffset createdAt, bool showInPortal) =>
        new(adminId, NotificationKinds.ForeignGpuProcess, gpuUuid, detail, createdAt, showInPortal);

    /// <summary>A holder's notice that booking <paramref name="bookingId"/> opens soon.</summary>
    public static NotificationRecord BookingStarting(Guid holderId, long bookingId, string detail, DateTimeOffset createdAt, bool showInPortal) =>
        new(holderId, NotificationKinds.BookingStarting, bookingId.ToString(System.Globalization.CultureInfo.InvariantCulture), detail, createdAt, showInPortal);

    public long Id { get; private set; }

    /// <summary>Whom it is for: the job's owner, the booking's holder, or an administrator.</summary>
    public Guid UserId { get; private set; }

    public NotificationKinds Kind { get; private set; }

    /// <summary>The job, for the job kinds; null for the others.</summary>
    public long? JobId { get; private set; }

    /// <summary>The job's name ("" without a job).</summary>
    public string JobName { get; private set; }

    /// <summary>The job's state after the move (a <c>JobState</c> name); null without a job.</summary>
    public string? State { get; private set; }

    public int? ExitCode { get; private set; }

    public string? Detail { get; private set; }

    /// <summary>What a notification without a job is about: the GPU's UUID (foreign process), the booking's id
    /// (booking starting); null for the job kinds.</summary>
    public string? Subject { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>Whether the bell lists it (the user's choice for the portal channel when it was made).</summary>
    public bool ShowInPortal { get; private set; }

    /// <summary>When its user marked it read in the portal; null while unread.</summary>
    public DateTimeOffset? ReadAt { get; private set; }

    public void MarkRead(DateTimeOffset at) => ReadAt ??= at;

    private static string? Cut(string? detail) => detail is { Length: > MaxDetailLength } ? detail[..MaxDetailLength] : detail;
}
