using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;
using Portal.Data.Notifications;

namespace Portal.Web.Services.Notifications;

/// <summary>Sends a notification as a plain-text email through the administrator's SMTP server, one connection per
/// message (notifications are few; a kept connection would only time out between them).</summary>
public sealed class SmtpNotificationSender(IOptions<NotificationOptions> options)
{
    public async Task<DeliveryOutcome> SendAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        var o = options.Value;
        var smtp = o.Smtp;
        if (!smtp.Enabled)
        {
            return new DeliveryOutcome("Email is not set up on this portal (no SMTP server configured).", Permanent: true);
        }

        if (!MailboxAddress.TryParse(work.Email, out var to))
        {
            return new DeliveryOutcome($"'{work.Email}' is not an email address.", Permanent: true);
        }

        using var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(smtp.From!));
        message.To.Add(to);
        message.Subject = NotificationText.Title(work.Notification);
        message.Headers.Add("X-Portal-Notification", work.Notification.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        message.Body = new TextPart("plain") { Text = Body(work, o.PublicUrl) };

        using var client = new SmtpClient { Timeout = (int)o.SendTimeout.TotalMilliseconds };
        try
        {
            await client.ConnectAsync(smtp.Host!, smtp.Port, Security(smtp.Security), cancellationToken);
            if (!string.IsNullOrEmpty(smtp.UserName))
            {
                await client.AuthenticateAsync(smtp.UserName, smtp.Password ?? "", cancellationToken);
            }

            await client.SendAsync(message, cancellationToken);
            await client.DisconnectAsync(quit: true, cancellationToken);
            return DeliveryOutcome.Delivered;
        }
        catch (SmtpCommandException e) when (e.ErrorCode == SmtpErrorCode.RecipientNotAccepted && (int)e.StatusCode >= 500)
        {
            // The server refused the address for good: retrying cannot help until the user changes it.
            return new DeliveryOutcome($"The mail server refused {work.Email}: {e.Message}", Permanent: true);
        }
        catch (Exception e) when (e is SmtpCommandException or SmtpProtocolException or IOException
            or System.Net.Sockets.SocketException or AuthenticationException or SslHandshakeException or TimeoutException
            or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return new DeliveryOutcome($"SMTP {smtp.Host}:{smtp.Port}: {e.Message}");
        }
    }

    private static string Body(DeliveryWork work, string? publicUrl)
    {
        var lines = new List<string> { NotificationText.Title(work.Notification) };
        if (NotificationText.Explanation(work.Notification, work.UserName) is { Length: > 0 } explanation)
        {
            lines.Add("");
            lines.Add(explanation);
        }

        if (NotificationText.PageUrl(work.Notification, publicUrl) is { } url)
        {
            lines.Add("");
            lines.Add(url);
        }

        lines.Add("");
        lines.Add("You get this because of your notification settings in the GPU box portal.");
        return string.Join("\n", lines) + "\n";
    }

    private static SecureSocketOptions Security(SmtpSecurity security) => security switch
    {
        SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
        SmtpSecurity.None => SecureSocketOptions.None,
        _ => SecureSocketOptions.StartTls,
    };
}
