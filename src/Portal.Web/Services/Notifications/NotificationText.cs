using System.Globalization;
using Portal.Core.Jobs;
using Portal.Core.Notifications;
using Portal.Data.Notifications;
using Portal.Web.Services.JobForms;

namespace Portal.Web.Services.Notifications;

/// <summary>
/// The words of a notification, the same in the bell, the email and the webhook. A failure to start says what the
/// job's page says (<see cref="JobFailureHints"/>): the plain reason and what to do.
/// </summary>
public static class NotificationText
{
    /// <summary>One line: what happened to which job, GPU or booking.</summary>
    public static string Title(NotificationView notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        switch (notification.Kind)
        {
            case NotificationKinds.ForeignGpuProcess:
                return $"A process computes on GPU {notification.Subject} outside its allocation.";
            case NotificationKinds.BookingStarting:
                return $"Your GPU booking #{notification.Subject} starts soon.";
        }

        var job = Job(notification);
        return notification.Kind switch
        {
            NotificationKinds.JobStarted => $"{job} is running.",
            NotificationKinds.JobFailedToStart => $"{job} could not start.",
            NotificationKinds.IdleWarning => $"{job} leaves its GPUs idle and will be reclaimed.",
            NotificationKinds.Reclaimed => $"{job} was stopped: its GPUs stayed idle.",
            _ => Ended(job, notification),
        };
    }

    /// <summary>The title, then the reason and what to do when the job failed (empty otherwise).</summary>
    public static string Explanation(NotificationView notification, string owner)
    {
        ArgumentNullException.ThrowIfNull(notification);
        if (notification.Kind is NotificationKinds.IdleWarning or NotificationKinds.Reclaimed || notification.JobId is null)
        {
            // The detail is its maker's own sentence: the reclaimer's verdict and when the action is due, the GPU
            // monitor's case (process, owner, whether it was ended), the booking's GPUs, window and note.
            return notification.Detail ?? "";
        }

        var state = Enum.TryParse<JobState>(notification.State, out var parsed) ? parsed : JobState.Failed;
        if (JobFailureHints.Explain(state, notification.ExitCode, notification.Detail, owner) is not { } hint)
        {
            // Who cancelled it is worth saying; "exit code 0" only repeats the title.
            return state == JobState.Cancelled && notification.Detail is { Length: > 0 } detail ? $"({detail})" : "";
        }

        if (hint.Kind == JobFailureKind.NonZeroExit)
        {
            return "See the job's log for what it printed before it ended.";
        }

        return hint.Raw is { } raw
            ? $"{hint.Summary} {hint.Hint} Exact message: {raw}"
            : $"{hint.Summary} {hint.Hint}";
    }

    /// <summary>The portal page a notification is about: the job's page, the administrators' GPU page for a foreign
    /// process, the bookings calendar for a booking.</summary>
    public static string PagePath(NotificationView notification)
    {
        ArgumentNullException.ThrowIfNull(notification);
        return notification switch
        {
            { JobId: { } job } => "/jobs/" + job.ToString(CultureInfo.InvariantCulture),
            { Kind: NotificationKinds.ForeignGpuProcess } => "/admin/gpus",
            { Kind: NotificationKinds.BookingStarting } => "/bookings",
            _ => "/notifications",
        };
    }

    /// <summary>A link to <see cref="PagePath"/>, or null when the portal's public address is not configured.</summary>
    public static string? PageUrl(NotificationView notification, string? publicUrl)
    {
        ArgumentNullException.ThrowIfNull(notification);
        return string.IsNullOrEmpty(publicUrl) ? null : publicUrl.TrimEnd('/') + PagePath(notification);
    }

    /// <summary>The kind's name in the portal's words, for the settings matrix.</summary>
    public static string KindLabel(NotificationKinds kind) => kind switch
    {
        NotificationKinds.JobStarted => "Job started",
        NotificationKinds.JobEnded => "Job ended",
        NotificationKinds.JobFailedToStart => "Job failed to start",
        NotificationKinds.IdleWarning => "Idle GPU warning",
        NotificationKinds.Reclaimed => "Job reclaimed while idle",
        NotificationKinds.ForeignGpuProcess => "GPU process outside its allocation (administrators)",
        NotificationKinds.BookingStarting => "Your GPU booking starts soon",
        _ => kind.ToString(),
    };

    private static string Job(NotificationView n) => string.IsNullOrEmpty(n.JobName)
        ? string.Create(CultureInfo.InvariantCulture, $"Job #{n.JobId}")
        : string.Create(CultureInfo.InvariantCulture, $"Job #{n.JobId} ({n.JobName})");

    private static string Ended(string job, NotificationView n) => n.State switch
    {
        nameof(JobState.Succeeded) => $"{job} succeeded.",
        nameof(JobState.Failed) when n.ExitCode is { } code => string.Create(CultureInfo.InvariantCulture, $"{job} failed with exit code {code}."),
        nameof(JobState.Failed) => $"{job} failed.",
        nameof(JobState.Cancelled) => $"{job} was cancelled.",
        nameof(JobState.TimedOut) => $"{job} was stopped at its walltime.",
        nameof(JobState.Lost) => $"{job} was lost.",
        _ => $"{job} is {n.State}.",
    };
}
