namespace Portal.Web.Configuration;

/// <summary>Default locations of the portal's state.</summary>
public static class PortalPaths
{
    /// <summary>
    /// The configured data folder, else /var/lib/gpu-portal for root (whose home the private
    /// cluster's service account cannot enter), else $XDG_DATA_HOME/gpu-portal.
    /// </summary>
    public static string DataDirectory(PortalOptions options)
    {
        if (!string.IsNullOrEmpty(options.DataDirectory))
        {
            return options.DataDirectory;
        }

        if (Environment.IsPrivilegedProcess)
        {
            return "/var/lib/gpu-portal";
        }

        string? xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        string dataHome = string.IsNullOrEmpty(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share")
            : xdg;
        return Path.Combine(dataHome, "gpu-portal");
    }
}
