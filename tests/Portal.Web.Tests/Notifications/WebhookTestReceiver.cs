using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Portal.Web.Services.Notifications;

namespace Portal.Web.Tests.Notifications;

/// <summary>One POST the receiver got, with whether its signature matched the secret it was told.</summary>
public sealed record ReceivedWebhook(string Path, string Body, string? Delivery, string? Timestamp, bool SignatureValid, HttpStatusCode Answered);

/// <summary>
/// A real HTTP listener on a free loopback port that webhooks post to. Each path is one user's webhook: it checks the
/// HMAC with that user's secret over the raw body, answers 503 to the first <c>failFirst</c> posts (so retries are
/// seen), and records every post.
/// </summary>
public sealed class WebhookTestReceiver : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, (string Secret, int FailFirst)> _hooks = new();
    private readonly ConcurrentDictionary<string, int> _seen = new();
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();
    private readonly Task _serving;

    public WebhookTestReceiver()
    {
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public IReadOnlyList<ReceivedWebhook> Received => [.. _received];

    /// <summary>A webhook URL on this receiver, checked with <paramref name="secret"/>.</summary>
    public string Hook(string path, string secret, int failFirst = 0)
    {
        _hooks[path] = (secret, failFirst);
        return $"http://127.0.0.1:{Port}{path}";
    }

    public IReadOnlyList<ReceivedWebhook> For(string path) => [.. _received.Where(r => r.Path == path)];

    public async ValueTask DisposeAsync()
    {
        // Close alone, never Stop first: on Linux each of them removes the listener's prefixes, and the second removal
        // binds the port again to find its endpoint, which fails ("Address already in use") when another test has
        // taken that free port meanwhile, and takes the port from that test when it has not. Close also ends the
        // pending GetContextAsync.
        _listener.Close();
        try
        {
            await _serving;
        }
        catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
        {
            // Stopping the listener ends GetContextAsync this way.
        }
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var reader = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(reader);
            var body = reader.ToArray();
            var path = context.Request.Url!.AbsolutePath;
            var timestamp = context.Request.Headers[WebhookSignature.TimestampHeader];
            var signature = context.Request.Headers[WebhookSignature.SignatureHeader];
            var valid = false;
            var status = HttpStatusCode.NotFound;
            if (_hooks.TryGetValue(path, out var hook))
            {
                valid = timestamp is not null && signature is not null && Verify(hook.Secret, timestamp, body, signature);
                var count = _seen.AddOrUpdate(path, 1, (_, n) => n + 1);
                status = !valid ? HttpStatusCode.Unauthorized
                    : count <= hook.FailFirst ? HttpStatusCode.ServiceUnavailable
                    : HttpStatusCode.NoContent;
            }

            _received.Enqueue(new ReceivedWebhook(
                path, Encoding.UTF8.GetString(body), context.Request.Headers[WebhookSignature.DeliveryHeader], timestamp, valid, status));
            context.Response.StatusCode = (int)status;
            context.Response.Close();
        }
    }

    // Written out here rather than calling the portal's signer, so a wrong signer cannot agree with itself.
    private static bool Verify(string secret, string timestamp, byte[] body, string signature)
    {
        var signed = Encoding.UTF8.GetBytes(timestamp + ".").Concat(body).ToArray();
        var expected = "sha256=" + Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed));
        return System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(signature));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
