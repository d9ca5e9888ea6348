namespace Portal.Web.Configuration;

/// <summary>The portal's own settings (section "Portal").</summary>
public sealed class PortalOptions
{
    public const string SectionName = "Portal";

    /// <summary>
    /// Where the portal keeps its state, including the private PostgreSQL cluster when no
    /// connection string is configured. Empty: a per-user default (see <see cref="PortalPaths"/>).
    /// </summary>
    public string? DataDirectory { get; set; }

    /// <summary>Accounts below this UID (system accounts) can never be bound to a portal user.</summary>
    public int MinimumUid { get; set; } = 1000;

    /// <summary>Mark cookies Secure; turn on behind a TLS reverse proxy.</summary>
    public bool RequireHttps { get; set; }

    /// <summary>Apply pending migrations at start. The production install runs them as a step of its own.</summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>
    /// Production: the portal runs as an unprivileged service account and reaches the launcher
    /// through sudo. Set by the production install.
    /// </summary>
    public bool Production { get; set; }

    /// <summary>
    /// The Linux account the first admin is bound to when the portal makes that admin on an empty database, run as
    /// root or installed (the quick start passes the account it chose). Empty: unbound there. A portal run by a
    /// normal user always binds its own account instead.
    /// </summary>
    public string? FirstAdminLinuxAccount { get; set; }

    /// <summary>
    /// A local image the home page offers as "Run your first job" (the quick start builds one from the host's own
    /// busybox). Empty: no such offer.
    /// </summary>
    public string? SampleImage { get; set; }
}
