namespace Portal.Core.Apps;

/// <summary>Bounds on health checks (the launcher's, from <see cref="Launcher.Protocol.AppRules"/>): every wait for a healthy service has an end.</summary>
public static class HealthLimits
{
    /// <summary>The longest interval, timeout or start period.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromSeconds(Launcher.Protocol.AppRules.MaxHealthSeconds);

    /// <summary>The most failed checks before a service counts as unhealthy.</summary>
    public const int MaxRetries = Launcher.Protocol.AppRules.MaxHealthRetries;
}
