namespace Portal.Launcher.Client;

/// <summary>How the portal reaches the launcher (bind from configuration section "Launcher").</summary>
public sealed class LauncherOptions
{
    /// <summary>The installed launcher: must match the sudoers rule exactly.</summary>
    public string LauncherPath { get; set; } = "/usr/libexec/portal/portal-launcher";

    /// <summary>Run through <c>sudo -n</c> (production). False in single-user dev mode, where the launcher acts as the portal's own user.</summary>
    public bool UseSudo { get; set; } = true;

    public string SudoPath { get; set; } = "/usr/bin/sudo";

    /// <summary>Limit for one request (log streams excepted); the launcher is ended when it passes.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(90);

    /// <summary>
    /// The longest log line passed on, in characters; the rest of a longer line is dropped and the line says so. A job
    /// printing without newlines would otherwise make the portal hold its whole output as one string.
    /// </summary>
    public int MaxLogLineLength { get; set; } = 16 * 1024;
}
