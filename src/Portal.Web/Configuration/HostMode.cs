namespace Portal.Web.Configuration;

/// <summary>How the portal is being run, which decides who jobs may run as.</summary>
public enum HostMode
{
    /// <summary>Run by a normal user without sudo: jobs run only as that same user.</summary>
    SingleUser,

    /// <summary>Run as root by hand: jobs run as their owners through the launcher, never as root.</summary>
    Root,

    /// <summary>The installed service: an unprivileged account that reaches the launcher through sudo.</summary>
    Production,
}

/// <summary>Works out the <see cref="HostMode"/> and says what it means in words.</summary>
public static class HostModes
{
    public static HostMode Detect(PortalOptions options) =>
        options.Production ? HostMode.Production
        : Environment.IsPrivilegedProcess ? HostMode.Root
        : HostMode.SingleUser;

    public static string Describe(HostMode mode) => mode switch
    {
        HostMode.SingleUser =>
            $"Single-user development mode: the portal runs as '{Environment.UserName}' and jobs run as that user, without sudo.",
        HostMode.Root =>
            "Running as root (development). Jobs never run as root: the launcher drops to each job owner's own UID. " +
            "The production install (deploy/) differs: the portal runs as the unprivileged 'portal' account, " +
            "reaches the root-owned launcher only through one sudo rule, and uses a managed PostgreSQL database.",
        HostMode.Production =>
            "Production mode: unprivileged portal account; jobs start through the sudo launcher rule.",
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };
}
