namespace Portal.Launcher.Protocol;

/// <summary>
/// What a job with a session folder (an interactive session, or an app's web front) looks like inside its container,
/// and the rules a request for one must meet. The portal and the launcher both check these, so the portal never
/// accepts a session the launcher would refuse.
/// </summary>
public static class SessionRules
{
    /// <summary>Where the session folder is mounted inside the container.</summary>
    public const string FolderTarget = "/run/portal-session";

    /// <summary>The socket the app (or sockbridge) listens on, inside the container.</summary>
    public const string SocketInContainer = FolderTarget + "/" + SocketName;

    /// <summary>The socket's name in the session folder, on the host as in the container.</summary>
    public const string SocketName = "http.sock";

    /// <summary>Where sockbridge is mounted, read-only, for apps that listen on TCP only.</summary>
    public const string BridgeTarget = "/.portal/sockbridge";

    /// <summary>Container paths a job's own mounts may not use: the session folder and the bridge live there.</summary>
    public static readonly IReadOnlyList<string> ReservedTargets = [FolderTarget, "/.portal"];

    /// <summary>
    /// sun_path holds 108 bytes with its NUL: the host path of a session socket, "&lt;folder root&gt;/&lt;job&gt;/http.sock",
    /// must fit. With job ids of at most 64 characters the folder root may be at most this long.
    /// </summary>
    public const int MaxFolderRootLength = 107 - 64 - 1 - 1 - SocketNameLength;

    private const int SocketNameLength = 9;

    /// <summary>Why a session section is wrong, or null.</summary>
    /// <param name="session">The request's session section.</param>
    /// <param name="commandItems">How many command items the job has: a bridged app needs a command to run.</param>
    public static string? Problem(SessionSpec session, int commandItems)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.BridgePort is { } port && (port < 1 || port > 65535))
        {
            return $"The app's port {port} is not between 1 and 65535.";
        }

        if (session.BridgePort is not null && commandItems == 0)
        {
            return "An app that listens on a TCP port needs its command: the bridge starts it.";
        }

        return null;
    }

    /// <summary>True when a job's own mount at <paramref name="target"/> would cover the session folder or the bridge.</summary>
    public static bool IsReservedTarget(string target)
    {
        ArgumentNullException.ThrowIfNull(target);
        foreach (string reserved in ReservedTargets)
        {
            if (target == reserved || target.StartsWith(reserved + "/", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
