using Portal.Core.Notifications;

namespace Portal.Data.Entities.Notifications;

/// <summary>
/// One thing its user is told about a job, written in the transaction that records the job's move. It keeps the
/// facts (kind, job, state, exit code, recorded detail), not the words: the portal words them when it shows or sends
/// them, so the bell, the email and the webhook say the same thing.
/// </summary>
public sealed class NotificationRecord
{
    public NotificationRecord(Guid userId, NotificationKinds kind, long jobId, string jobName, string state, int? exitCode, string? detail, DateTimeOffset createdAt, bool showInPortal)
    {
        if (kind is not (NotificationKinds.JobStarted or NotificationKinds.JobEnded or NotificationKinds.JobFailedToStart
            or NotificationKinds.IdleWarning or NotificationKinds.Reclaimed))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "A notification has exactly one kind.");
        }

        ArgumentException.ThrowIfNullOrEmpty(state);
        UserId = userId;
        Kind = kind;
        JobId = jobId;
        JobName = jobName ?? "";
        State = state;
        ExitCode = exitCode;
        Detail = detail is { Length: > MaxDetailLength } ? detail[..MaxDetailLength] : detail;
        CreatedAt = createdAt;
        ShowInPortal = showInPortal;
    }

    // For EF Core.
    private NotificationRecord()
    {
        JobName = "";
        State = "";
    }

    /// <summary>Longest detail kept (a launcher's error can be long; the job page keeps the whole text).</summary>
    public const int MaxDetailLength = 2000;

    public long Id { get; private set; }

    /// <summary>Whom it is for: always the job's owner.</summary>
    public Guid UserId { get; private set; }

    public NotificationKinds Kind { get; private set; }

    public long JobId { get; private set; }

    public string JobName { get; private set; }

    /// <summary>The job's state after the move (a <c>JobState</c> name).</summary>
    public string State { get; private set; }

    public int? ExitCode { get; private set; }

    public string? Detail { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>Whether the bell lists it (the user's choice for the portal channel when it was made).</summary>
    public bool ShowInPortal { get; private set; }

    /// <summary>When its user marked it read in the portal; null while unread.</summary>
    public DateTimeOffset? ReadAt { get; private set; }

    public void MarkRead(DateTimeOffset at) => ReadAt ??= at;
}
