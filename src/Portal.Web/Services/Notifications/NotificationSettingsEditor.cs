using Microsoft.Extensions.Options;
using Portal.Core.Notifications;
using Portal.Data.Notifications;
using Portal.Web.Services.Audit;

namespace Portal.Web.Services.Notifications;

/// <summary>A user's settings as the settings page and the API show them.</summary>
public sealed record NotificationSettingsView(
    string? Email, NotificationKinds Portal, NotificationKinds EmailKinds, NotificationKinds Webhook, string? WebhookUrl,
    bool WebhookSlackFormat, bool EmailAvailable, bool WebhooksAvailable, IReadOnlyList<DeliveryProblem> Problems);

/// <summary>A change to a user's settings; null leaves a field as it is.</summary>
public sealed record NotificationSettingsChange(
    string? Email = null, NotificationKinds? Portal = null, NotificationKinds? EmailKinds = null, NotificationKinds? Webhook = null,
    string? WebhookUrl = null, bool? WebhookSlackFormat = null, bool NewWebhookSecret = false);

/// <summary>What a change came to: the field errors (nothing saved), or the new webhook secret to show once.</summary>
public sealed record NotificationSettingsResult(IReadOnlyList<(string Field, string Message)> Errors, string? NewWebhookSecret)
{
    public bool Saved => Errors.Count == 0;
}

/// <summary>
/// Reads and changes a user's notification settings for the settings page and the API alike: the email address's
/// form, the webhook's address rule and its secret (made here, stored protected, shown once). Webhook changes are
/// audited, since a webhook sends the user's job facts out of the portal.
/// </summary>
public sealed class NotificationSettingsEditor(
    NotificationStore store, WebhookSecrets secrets, WebhookAddressRule addresses, IOptions<NotificationOptions> options, AuditLog audit)
{
    /// <summary>The user's settings; the administrators' own kinds show only to an administrator.</summary>
    public async Task<NotificationSettingsView> GetAsync(Guid userId, bool isAdmin, CancellationToken cancellationToken)
    {
        var (settings, email) = await store.GetSettingsAsync(userId, cancellationToken);
        var problems = await store.LastProblemsAsync(userId, cancellationToken);
        var shown = NotificationKindSets.ChoosableBy(isAdmin);
        return new NotificationSettingsView(
            email, settings.PortalKinds & shown, settings.EmailKinds & shown, settings.WebhookKinds & shown, settings.WebhookUrl,
            settings.WebhookSlackFormat, options.Value.Smtp.Enabled, options.Value.Webhooks.Enabled, problems);
    }

    /// <summary>Saves a change. A non-administrator's change leaves the administrators' kinds as they were (they see
    /// no such choice; should they become one, their old choice holds).</summary>
    public async Task<NotificationSettingsResult> SaveAsync(
        Guid userId, string userName, bool isAdmin, NotificationSettingsChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        var errors = new List<(string Field, string Message)>();
        var (current, _) = await store.GetSettingsAsync(userId, cancellationToken);
        var email = change.Email?.Trim();
        if (email is { Length: > 0 } && !IsEmailAddress(email))
        {
            errors.Add(("email", $"'{email}' is not an email address (name@example.org)."));
        }

        var url = change.WebhookUrl?.Trim();
        var urlChanged = url is not null && url != (current.WebhookUrl ?? "");
        if (url is { Length: > 0 } && urlChanged)
        {
            if (!options.Value.Webhooks.Enabled)
            {
                errors.Add(("webhookUrl", "Webhooks are turned off on this portal."));
            }
            else if (url.Length > 2000)
            {
                errors.Add(("webhookUrl", "The webhook address is longer than 2000 characters."));
            }
            else if (await addresses.CheckUrlAsync(url, cancellationToken) is { } refused)
            {
                errors.Add(("webhookUrl", refused));
            }
        }

        var webhookAfter = url is null ? current.WebhookUrl : url.Length == 0 ? null : url;
        if (change.NewWebhookSecret && webhookAfter is null)
        {
            errors.Add(("newWebhookSecret", "There is no webhook to make a new secret for."));
        }

        if (errors.Count > 0)
        {
            return new NotificationSettingsResult(errors, null);
        }

        string? newSecret = null;
        string? newProtected = null;
        if (webhookAfter is not null && (current.WebhookSecretProtected is null || change.NewWebhookSecret))
        {
            (newSecret, newProtected) = secrets.Create();
        }

        await store.SaveSettingsAsync(userId, s =>
        {
            var choosable = NotificationKindSets.ChoosableBy(isAdmin);
            s.PortalKinds = change.Portal is { } portal ? (portal & choosable) | (s.PortalKinds & ~choosable) : s.PortalKinds;
            s.EmailKinds = change.EmailKinds is { } emailKinds ? (emailKinds & choosable) | (s.EmailKinds & ~choosable) : s.EmailKinds;
            s.WebhookKinds = change.Webhook is { } webhook ? (webhook & choosable) | (s.WebhookKinds & ~choosable) : s.WebhookKinds;
            s.WebhookSlackFormat = change.WebhookSlackFormat ?? s.WebhookSlackFormat;
            if (webhookAfter is null)
            {
                s.RemoveWebhook();
            }
            else if (newProtected is not null)
            {
                s.SetWebhook(webhookAfter, newProtected);
            }
            else
            {
                s.ChangeWebhookUrl(webhookAfter);
            }
        }, cancellationToken);
        if (email is not null)
        {
            await store.SetEmailAsync(userId, email.Length == 0 ? null : email, cancellationToken);
        }

        if (urlChanged || newSecret is not null)
        {
            var what = webhookAfter is null ? "removed" : newSecret is not null ? "set with a new secret" : "moved";
            await audit.WriteAsync(AuditActions.NotificationWebhookChanged, new AuditActor(userId, userName), succeeded: true,
                target: userName, detail: $"webhook {what}{(webhookAfter is null ? "" : ": " + webhookAfter)}", cancellationToken: cancellationToken);
        }

        return new NotificationSettingsResult([], newSecret);
    }

    /// <summary>A bare address (no display name), as an account's address must be.</summary>
    public static bool IsEmailAddress(string text) =>
        text.Length <= 254 && System.Net.Mail.MailAddress.TryCreate(text, out var address) && address.Address == text
        && address.Host.Contains('.', StringComparison.Ordinal);
}
