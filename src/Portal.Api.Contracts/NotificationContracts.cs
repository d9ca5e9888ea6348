namespace Portal.Api.Contracts;

/// <summary>One of your notifications. <c>kind</c> is one of the kinds of notification (<c>JobStarted</c>,
/// <c>JobEnded</c>, <c>JobFailedToStart</c>, <c>IdleWarning</c>, <c>Reclaimed</c>, <c>ForeignGpuProcess</c>,
/// <c>BookingStarting</c>); <c>title</c> and <c>explanation</c> are the words the bell, the email and the webhook use.
/// A job's notification has <c>jobId</c> and <c>state</c>; any other has neither, and names its <c>subject</c> (the
/// GPU's UUID, the booking's id). <c>path</c> is the portal page it is about.</summary>
public sealed record NotificationResponse(
    long Id,
    string Kind,
    long? JobId,
    string JobName,
    string? State,
    int? ExitCode,
    string Title,
    string? Explanation,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ReadAt,
    string? Subject,
    string Path);

/// <summary>Your notifications, newest first, and how many are unread.</summary>
public sealed record NotificationListResponse(IReadOnlyList<NotificationResponse> Items, int Unread);

/// <summary>Which kinds of notification go to each channel (each a list of kind names).</summary>
public sealed record NotificationChannelsDto(IReadOnlyList<string> Portal, IReadOnlyList<string> Email, IReadOnlyList<string> Webhook);

/// <summary>The last delivery on a channel that met an error: still retrying, given up, or through on a retry.</summary>
public sealed record DeliveryProblemResponse(
    string Channel, long NotificationId, int Attempts, string Error, DateTimeOffset At, bool GaveUp, DateTimeOffset? DeliveredAt);

/// <summary>
/// Your notification settings. <c>webhookSecret</c> is present only in the answer that created it (shown once: keep
/// it to check each post's <c>X-Portal-Signature</c>). <c>emailAvailable</c> and <c>webhooksAvailable</c> say whether
/// the administrator set those channels up.
/// </summary>
public sealed record NotificationSettingsResponse(
    string? Email,
    NotificationChannelsDto Channels,
    string? WebhookUrl,
    bool WebhookSlackFormat,
    bool EmailAvailable,
    bool WebhooksAvailable,
    IReadOnlyList<DeliveryProblemResponse> Problems,
    string? WebhookSecret = null);

/// <summary>
/// A change to your notification settings; a field left out (null) stays as it is. <c>webhookUrl</c> "" removes the
/// webhook; a first URL gets a new secret, and <c>newWebhookSecret</c> replaces the secret of the current one.
/// </summary>
public sealed record NotificationSettingsRequest
{
    /// <summary>Your email address ("" removes it).</summary>
    public string? Email { get; init; }

    public NotificationChannelsDto? Channels { get; init; }

    public string? WebhookUrl { get; init; }

    /// <summary>Post <c>{"text": "..."}</c>, which Slack and Microsoft Teams incoming webhooks take.</summary>
    public bool? WebhookSlackFormat { get; init; }

    public bool? NewWebhookSecret { get; init; }
}
