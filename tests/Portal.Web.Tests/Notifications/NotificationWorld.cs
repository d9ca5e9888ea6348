using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Abstractions;
using Portal.Core.Notifications;
using Portal.Data.Jobs;
using Portal.Data.Notifications;
using Portal.Web.Services.Notifications;
using Portal.Web.Tests.Data;

namespace Portal.Web.Tests.Notifications;

/// <summary>
/// The notification path for one test with real parts: a fresh PostgreSQL database, the job store that records moves,
/// the real dispatcher and senders, a real SMTP server and a real webhook receiver on loopback. Time is a manual
/// clock, so a retry's wait is checked exactly: not due a tick before, due at its time.
/// </summary>
public sealed class NotificationWorld : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 12, 6, 9, 0, 0, TimeSpan.Zero);

    private NotificationWorld(TestDatabase database, SmtpTestServer smtp, WebhookTestReceiver receiver, NotificationOptions options)
    {
        Database = database;
        Smtp = smtp;
        Receiver = receiver;
        Options = options;
        Jobs = new JobStore(database, Clock);
        Notifications = new NotificationStore(database, Clock);
        Secrets = new WebhookSecrets(new EphemeralDataProtectionProvider());
        var wrapped = Microsoft.Extensions.Options.Options.Create(options);
        Webhooks = new WebhookNotificationSender(wrapped, Secrets, Clock);
        Dispatcher = new NotificationDispatcher(
            new NotificationDeliveries(database, Clock), new SmtpNotificationSender(wrapped), Webhooks, wrapped, Clock,
            NullLogger<NotificationDispatcher>.Instance);
    }

    public ManualClock Clock { get; } = new(Start);

    public TestDatabase Database { get; }

    public SmtpTestServer Smtp { get; }

    public WebhookTestReceiver Receiver { get; }

    public NotificationOptions Options { get; }

    public JobStore Jobs { get; }

    public NotificationStore Notifications { get; }

    public WebhookSecrets Secrets { get; }

    internal NotificationDispatcher Dispatcher { get; }

    private WebhookNotificationSender Webhooks { get; }

    public static async Task<NotificationWorld> CreateAsync(int maxAttempts = 5, bool allowLoopback = true)
    {
        var database = await TestDatabase.CreateAsync();
        SmtpTestServer? smtp = null;
        try
        {
            smtp = await SmtpTestServer.StartAsync();
            var options = new NotificationOptions
            {
                MaxAttempts = maxAttempts,
                FirstRetryDelay = TimeSpan.FromSeconds(30),
                MaxRetryDelay = TimeSpan.FromMinutes(10),
                SendTimeout = TimeSpan.FromSeconds(20),
                PublicUrl = "https://gpu.example.org",
                Smtp = { Host = "127.0.0.1", Port = smtp.Port, Security = SmtpSecurity.None, From = "GPU portal <portal@example.org>" },
            };
            if (allowLoopback)
            {
                options.Webhooks.AllowedPrivateNetworks.Add("127.0.0.1");
            }

            return new NotificationWorld(database, smtp, new WebhookTestReceiver(), options);
        }
        catch
        {
            if (smtp is not null)
            {
                await smtp.DisposeAsync();
            }

            await database.DisposeAsync();
            throw;
        }
    }

    /// <summary>A user bound to a Linux account of the same name, with an email address.</summary>
    public async Task<Guid> AddUserAsync(string name, long uid)
    {
        var id = await Database.AddUserAsync(name, uid);
        await Database.ExecuteAsync($"UPDATE \"AspNetUsers\" SET \"Email\" = '{name}@example.org' WHERE \"Id\" = '{id}'");
        return id;
    }

    /// <summary>Turns on <paramref name="kinds"/> by email and by a webhook on the receiver at /<paramref name="path"/>.</summary>
    public async Task<string> SubscribeAsync(Guid user, string path, NotificationKinds kinds = NotificationKinds.All, int failFirst = 0, bool slack = false)
    {
        var (secret, protectedSecret) = Secrets.Create();
        var url = Receiver.Hook("/" + path, secret, failFirst);
        await Notifications.SaveSettingsAsync(user, s =>
        {
            s.EmailKinds = kinds;
            s.WebhookKinds = kinds;
            s.WebhookSlackFormat = slack;
            s.SetWebhook(url, protectedSecret);
        });
        return secret;
    }

    /// <summary>Sends whatever is due now, as one dispatcher round does.</summary>
    public Task<int> DispatchAsync() => Dispatcher.SendDueAsync(CancellationToken.None);

    /// <summary>Each part is released even when one before it fails: the test database is never left behind.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            Webhooks.Dispose();
            await Receiver.DisposeAsync();
        }
        finally
        {
            try
            {
                await Smtp.DisposeAsync();
            }
            finally
            {
                await Database.DisposeAsync();
            }
        }
    }
}
