using Microsoft.Extensions.Options;
using Portal.Core.Notifications;
using Portal.Data.Notifications;

namespace Portal.Web.Services.Notifications;

/// <summary>
/// Empties the outbox: every <see cref="NotificationOptions.PollInterval"/> it sends each due email and webhook, one
/// row at a time, and records the outcome with it (<see cref="NotificationDeliveries"/>). A failed attempt is tried
/// again after a doubling wait, up to <see cref="NotificationOptions.MaxAttempts"/>; the last error stays with the row.
/// </summary>
internal sealed partial class NotificationDispatcher(
    NotificationDeliveries deliveries,
    SmtpNotificationSender email,
    WebhookNotificationSender webhooks,
    IOptions<NotificationOptions> options,
    TimeProvider clock,
    ILogger<NotificationDispatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var o = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SendDueAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The database may be restarting: the rows stay due and the next round sends them.
                LogRoundFailed(e);
            }

            try
            {
                await Task.Delay(o.PollInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Sends every row due now; returns how many rows were settled or rescheduled.</summary>
    public async Task<int> SendDueAsync(CancellationToken cancellationToken)
    {
        var count = 0;
        while (await deliveries.DeliverNextAsync(SendOneAsync, options.Value.RetryDelay, cancellationToken))
        {
            count++;
        }

        return count;
    }

    private async Task<DeliveryOutcome> SendOneAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.Value.SendTimeout);
        var outcome = work.Channel switch
        {
            NotificationChannel.Email => await email.SendAsync(work, timeout.Token),
            NotificationChannel.Webhook => await webhooks.SendAsync(work, timeout.Token),
            _ => new DeliveryOutcome($"No sender for {work.Channel}.", Permanent: true),
        };
        if (outcome.Succeeded)
        {
            LogDelivered(work.Channel, work.Notification.Id, work.Attempt);
        }
        else
        {
            LogAttemptFailed(work.Channel, work.Notification.Id, work.Attempt, outcome.Error!);
        }

        return outcome;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A notification round failed; due sends stay queued")]
    private partial void LogRoundFailed(Exception e);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification {NotificationId} sent by {Channel} (attempt {Attempt})")]
    private partial void LogDelivered(NotificationChannel channel, long notificationId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {NotificationId} by {Channel}, attempt {Attempt} failed: {Error}")]
    private partial void LogAttemptFailed(NotificationChannel channel, long notificationId, int attempt, string error);
}
