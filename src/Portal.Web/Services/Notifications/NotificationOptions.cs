namespace Portal.Web.Services.Notifications;

/// <summary>How notifications leave the portal (section "Portal:Notifications").</summary>
public sealed class NotificationOptions
{
    public const string SectionName = "Portal:Notifications";

    /// <summary>How often the dispatcher looks for due email and webhook sends.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Attempts per send before it is given up (the last error stays on the user's settings page).</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The wait after the first failed attempt; each next wait doubles, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan FirstRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The longest wait between two attempts.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long one attempt (an SMTP conversation, a webhook POST) may take.</summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The portal's address as people reach it (<c>https://gpu.example.org</c>), for links to the job in
    /// emails and webhooks; without it they name the job only.</summary>
    public string? PublicUrl { get; set; }

    public SmtpOptions Smtp { get; set; } = new();

    public WebhookOptions Webhooks { get; set; } = new();

    /// <summary>The wait before attempt <paramref name="failedAttempts"/> + 1, or null when none is left.</summary>
    public TimeSpan? RetryDelay(int failedAttempts)
    {
        if (failedAttempts >= MaxAttempts)
        {
            return null;
        }

        var doubled = FirstRetryDelay.Ticks * Math.Pow(2, Math.Max(0, failedAttempts - 1));
        return doubled >= MaxRetryDelay.Ticks ? MaxRetryDelay : TimeSpan.FromTicks((long)doubled);
    }
}

/// <summary>How the SMTP connection is protected.</summary>
public enum SmtpSecurity
{
    /// <summary>Upgrade with STARTTLS, and refuse a server that does not offer it.</summary>
    StartTls,

    /// <summary>TLS from the first byte (port 465).</summary>
    Tls,

    /// <summary>Plain text: only for a relay on the same machine or a trusted network.</summary>
    None,
}

/// <summary>The administrator's mail server (section "Portal:Notifications:Smtp"). Email is off while
/// <see cref="Host"/> is empty.</summary>
public sealed class SmtpOptions
{
    public string? Host { get; set; }

    public int Port { get; set; } = 587;

    public SmtpSecurity Security { get; set; } = SmtpSecurity.StartTls;

    /// <summary>The sender address, e.g. <c>GPU portal &lt;gpu-portal@example.org&gt;</c>.</summary>
    public string? From { get; set; }

    /// <summary>Sign in to the server with these, when set.</summary>
    public string? UserName { get; set; }

    public string? Password { get; set; }

    public bool Enabled => !string.IsNullOrWhiteSpace(Host);
}

/// <summary>Where users' webhooks may point (section "Portal:Notifications:Webhooks").</summary>
public sealed class WebhookOptions
{
    /// <summary>Off: users cannot set a webhook.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Addresses or CIDR ranges a webhook may reach although they are loopback, link-local or private
    /// (<c>127.0.0.1</c>, <c>10.1.2.0/24</c>). Empty by default: a user's webhook could otherwise make the portal
    /// call services only the server itself reaches.
    /// </summary>
    public IList<string> AllowedPrivateNetworks { get; } = [];
}
