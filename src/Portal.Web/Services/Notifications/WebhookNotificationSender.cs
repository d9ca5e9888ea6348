using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Portal.Data.Notifications;

namespace Portal.Web.Services.Notifications;

/// <summary>
/// Posts a notification to its user's webhook: the portal's JSON, or <c>{"text": "..."}</c> for Slack and Teams
/// incoming webhooks, signed with <see cref="WebhookSignature"/>. Connections go only to addresses
/// <see cref="WebhookAddressRule"/> allows, checked on the address actually dialled; redirects are not followed.
/// </summary>
public sealed class WebhookNotificationSender : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _http;
    private readonly WebhookSecrets _secrets;
    private readonly TimeProvider _clock;
    private readonly IOptions<NotificationOptions> _options;

    public WebhookNotificationSender(IOptions<NotificationOptions> options, WebhookSecrets secrets, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _secrets = secrets;
        _clock = clock;
        var rule = new WebhookAddressRule(options.Value.Webhooks.AllowedPrivateNetworks);
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = (context, token) => ConnectAsync(rule, context, token),
        };
        _http = new HttpClient(handler) { Timeout = options.Value.SendTimeout };
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("gpu-box-portal", "1"));
    }

    public async Task<DeliveryOutcome> SendAsync(DeliveryWork work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!_options.Value.Webhooks.Enabled)
        {
            return new DeliveryOutcome("Webhooks are turned off on this portal.", Permanent: true);
        }

        if (work.WebhookUrl is null || work.WebhookSecretProtected is null)
        {
            return new DeliveryOutcome("No webhook is set.", Permanent: true);
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(Payload(work), Json);
        var timestamp = _clock.GetUtcNow().ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, work.WebhookUrl) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(_secrets.Open(work.WebhookSecretProtected), timestamp, body));
        request.Headers.Add(WebhookSignature.DeliveryHeader, work.DeliveryId.ToString(CultureInfo.InvariantCulture));
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var status = (int)response.StatusCode;
            return response.IsSuccessStatusCode
                ? DeliveryOutcome.Delivered
                : new DeliveryOutcome($"The webhook answered {status} {response.ReasonPhrase}.");
        }
        catch (HttpRequestException e)
        {
            return new DeliveryOutcome($"The webhook could not be reached: {e.InnerException?.Message ?? e.Message}");
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DeliveryOutcome($"The webhook did not answer within {_options.Value.SendTimeout}.");
        }
    }

    public void Dispose() => _http.Dispose();

    private object Payload(DeliveryWork work)
    {
        var n = work.Notification;
        var title = NotificationText.Title(n);
        var explanation = NotificationText.Explanation(n, work.UserName);
        var url = NotificationText.PageUrl(n, _options.Value.PublicUrl);
        if (work.WebhookSlackFormat)
        {
            var text = string.Join(" ", new[] { title, explanation, url }.Where(s => !string.IsNullOrEmpty(s)));
            return new SlackPayload(text);
        }

        // A job's notification carries "job"; any other carries "subject" instead, never a job it does not have.
        return new PortalPayload(
            n.Id, n.Kind.ToString(), work.UserName, n.CreatedAt, title, explanation.Length == 0 ? null : explanation,
            n.JobId is { } jobId ? new PayloadJob(jobId, n.JobName, n.State ?? "", n.ExitCode, n.Detail, url) : null,
            n.JobId is null ? new PayloadSubject(SubjectType(n), n.Subject ?? "", n.Detail, url) : null);
    }

    private static async ValueTask<Stream> ConnectAsync(WebhookAddressRule rule, SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        // Every answer must pass: dialling only the allowed ones would let a name mix a public and a private address.
        if (addresses.Length == 0)
        {
            throw new HttpRequestException($"'{host}' has no address.");
        }

        if (addresses.FirstOrDefault(a => !rule.Allows(a)) is { } refused)
        {
            throw new HttpRequestException(
                $"'{host}' is at {refused}, a loopback, link-local, private or reserved address webhooks may not reach.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private sealed record SlackPayload(string Text);

    private sealed record PortalPayload(
        long Id, string Kind, string User, DateTimeOffset At, string Title, string? Explanation, PayloadJob? Job, PayloadSubject? Subject);

    private sealed record PayloadJob(long Id, string Name, string State, int? ExitCode, string? Detail, string? Url);

    private sealed record PayloadSubject(string Type, string Id, string? Detail, string? Url);

    // What a notification without a job is about: "gpu" (its UUID) or "booking" (its id).
    private static string SubjectType(NotificationView n) => n.Kind == Core.Notifications.NotificationKinds.BookingStarting ? "booking" : "gpu";
}
