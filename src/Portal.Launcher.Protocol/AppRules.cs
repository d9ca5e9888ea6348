namespace Portal.Launcher.Protocol;

/// <summary>
/// The rules for apps that both the portal (when it reads a user's file) and the launcher (when it reads a request)
/// enforce: one definition, so a file the portal accepts is never refused by the launcher for a name or a bound.
/// </summary>
public static class AppRules
{
    /// <summary>The most services in one app.</summary>
    public const int MaxServices = 16;

    /// <summary>Service and volume names: short, so container names stay readable.</summary>
    public const int MaxNameLength = 32;

    /// <summary>The most labels on one service.</summary>
    public const int MaxLabels = 32;

    /// <summary>The longest label key or value.</summary>
    public const int MaxLabelLength = 256;

    /// <summary>The longest health check interval, timeout or start period, in seconds: every wait has an end.</summary>
    public const int MaxHealthSeconds = 600;

    /// <summary>The most failed health checks before a service counts as failed.</summary>
    public const int MaxHealthRetries = 100;

    /// <summary>Where the generated hosts file is mounted in every container; no other mount may use it.</summary>
    public const string HostsFileTarget = "/etc/hosts";

    /// <summary>The prefix of the portal's own labels, which a user's file may not set.</summary>
    public const string ReservedLabelPrefix = "portal.";

    /// <summary>
    /// A service name is also its host name inside the app and part of its container's name: lowercase letters,
    /// digits and '-', starting with a letter or digit, at most <see cref="MaxNameLength"/>; never <c>localhost</c>.
    /// </summary>
    public static bool IsServiceName(string? name) =>
        name is { Length: > 0 and <= MaxNameLength } && name != "localhost" && IsLowerAlnum(name[0])
        && name.All(c => IsLowerAlnum(c) || c == '-');

    /// <summary>A named app volume: lowercase letters, digits, '_', '.' and '-', starting with a letter or digit.</summary>
    public static bool IsVolumeName(string? name) =>
        name is { Length: > 0 and <= MaxNameLength } && IsLowerAlnum(name[0])
        && name.All(c => IsLowerAlnum(c) || c is '_' or '.' or '-');

    /// <summary>Why a label cannot be set, or null. Keys are printable ASCII without '=' or blanks; values have no line breaks or NUL.</summary>
    public static string? LabelProblem(string key, string value)
    {
        if (key.Length is 0 or > MaxLabelLength || !key.All(c => c is > ' ' and <= '~' && c != '='))
        {
            return "A label key is 1 to 256 printable characters without '=' or blanks.";
        }

        if (key.StartsWith(ReservedLabelPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return "Labels starting with 'portal.' are the portal's own.";
        }

        return value.Length > MaxLabelLength || value.AsSpan().IndexOfAny('\0', '\n', '\r') >= 0
            ? "A label value is at most 256 characters, without line breaks."
            : null;
    }

    /// <summary>
    /// Why the app's web front is wrong, or null. The web front is the one service with a session section: it gets the
    /// job's session folder, and with a port sockbridge becomes its entrypoint and starts the service's command. So at
    /// most one service has one, and it carries its whole argv as its command (the portal folds a file's entrypoint
    /// into it): an entrypoint of its own would replace the bridge.
    /// </summary>
    public static string? WebFrontProblem(AppSpec app)
    {
        ArgumentNullException.ThrowIfNull(app);
        List<AppServiceSpec> fronts = [.. app.Services.Where(s => s?.Run?.Session is not null)];
        if (fronts.Count > 1)
        {
            return "Only one service of an app can be its web front (a session section).";
        }

        return fronts is [{ Entrypoint: not null } front]
            ? $"Service '{UntrustedText.Printable(front.Name)}': the web front takes its whole argv as its command, no entrypoint (the bridge is its entrypoint)."
            : null;
    }

    private static bool IsLowerAlnum(char c) => c is >= 'a' and <= 'z' or >= '0' and <= '9';
}
