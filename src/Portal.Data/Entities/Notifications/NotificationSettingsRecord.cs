using Portal.Core.Notifications;

namespace Portal.Data.Entities.Notifications;

/// <summary>
/// One user's choices: which kinds on which channel, and their webhook. A user without a row gets
/// <see cref="DefaultPortalKinds"/> (the bell for everything, nothing sent outside). The email
/// address is the account's own (<c>AspNetUsers.Email</c>).
/// </summary>
public sealed class NotificationSettingsRecord
{
    public NotificationSettingsRecord(Guid userId) => UserId = userId;

    /// <summary>What a user who never chose gets.</summary>
    public static NotificationKinds DefaultPortalKinds => NotificationKinds.All;

    public Guid UserId { get; private set; }

    public NotificationKinds PortalKinds { get; set; } = DefaultPortalKinds;

    public NotificationKinds EmailKinds { get; set; }

    public NotificationKinds WebhookKinds { get; set; }

    /// <summary>http or https URL the webhook posts to; null when the user has none.</summary>
    public string? WebhookUrl { get; private set; }

    /// <summary>The HMAC key, protected by the portal's data-protection key ring (never stored in clear).</summary>
    public string? WebhookSecretProtected { get; private set; }

    /// <summary>Post <c>{"text": "..."}</c> (Slack and Teams incoming webhooks) instead of the portal's own JSON.</summary>
    public bool WebhookSlackFormat { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public NotificationKinds KindsFor(NotificationChannel channel) => channel switch
    {
        NotificationChannel.Portal => PortalKinds,
        NotificationChannel.Email => EmailKinds,
        NotificationChannel.Webhook => WebhookUrl is null ? NotificationKinds.None : WebhookKinds,
        _ => NotificationKinds.None,
    };

    public void SetWebhook(string url, string secretProtected)
    {
        ArgumentException.ThrowIfNullOrEmpty(url);
        ArgumentException.ThrowIfNullOrEmpty(secretProtected);
        WebhookUrl = url;
        WebhookSecretProtected = secretProtected;
    }

    public void ChangeWebhookUrl(string url)
    {
        ArgumentException.ThrowIfNullOrEmpty(url);
        if (WebhookSecretProtected is null)
        {
            throw new InvalidOperationException("A webhook needs a secret first.");
        }

        WebhookUrl = url;
    }

    public void RemoveWebhook()
    {
        WebhookUrl = null;
        WebhookSecretProtected = null;
    }
}
