namespace Portal.Web.Services.Sessions;

/// <summary>Interactive sessions and the proxy in front of them (section "Portal:Sessions"). See docs/sessions.md.</summary>
public sealed class SessionOptions
{
    public const string SectionName = "Portal:Sessions";

    /// <summary>
    /// A separate origin for sessions (e.g. <c>https://sessions.gpu.example.org</c>), so that a session's pages
    /// cannot act on the portal's own pages and API with the user's cookie. Empty: sessions are served on the
    /// portal's origin (JupyterHub's "semi-trusted users" model; docs/sessions.md says what that means).
    /// </summary>
    public string? Origin { get; set; }

    /// <summary>Where the launcher makes session folders: its policy's <c>sessions.dir</c>. Keep the two in step.</summary>
    public string SocketDirectory { get; set; } = "/run/portal-sessions";

    /// <summary>A proxied WebSocket with no frame either way for this long is closed. Apps that ping (Jupyter every
    /// 30 s) keep theirs open indefinitely; quiet ones reconnect.</summary>
    public TimeSpan WebSocketIdleTimeout { get; set; } = TimeSpan.FromHours(1);

    /// <summary>A proxied HTTP request with no bytes either way for this long fails with 504.</summary>
    public TimeSpan RequestIdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long connecting to an app's socket may take.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How often idle reclaim looks at every running session (its app's own view is asked over the socket each
    /// time). Quota groups set the idle window itself; this only bounds how late a warning or a stop may come.</summary>
    public TimeSpan IdleCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a session's app may take to answer its first probe. Until it answers the session is still
    /// starting and idle reclaim does not count it as idle; after this long it counts from the session's start anyway,
    /// so an app that never comes up is still warned and stopped.</summary>
    public TimeSpan AppStartAllowance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The parsed <see cref="Origin"/>, or null when sessions share the portal's origin.</summary>
    public Uri? OriginUri => string.IsNullOrWhiteSpace(Origin) ? null : new Uri(Origin, UriKind.Absolute);
}
