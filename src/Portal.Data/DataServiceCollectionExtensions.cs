using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Portal.Data.Accounts;
using Portal.Data.Audit;
using Portal.Data.Bookings;
using Portal.Data.Jobs;
using Portal.Data.Notifications;
using Portal.Data.Presets;
using Portal.Data.Quotas;
using Portal.Data.Tokens;

namespace Portal.Data;

/// <summary>Registers the stores: every read and write of the portal's tables outside ASP.NET Core Identity.</summary>
public static class DataServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="JobStore"/>, <see cref="GpuStore"/>, <see cref="QuotaStore"/>, <see cref="UsageStore"/>,
    /// <see cref="ApiTokenStore"/>, <see cref="JobPresetStore"/>, <see cref="BookingStore"/>, <see cref="UserStore"/>, <see cref="AuditStore"/>,
    /// <see cref="NotificationStore"/>, <see cref="SystemNotifications"/> and <see cref="NotificationDeliveries"/> as singletons: they hold no state and open one short-lived context per call, so Blazor circuits and background
    /// loops can share them. Needs an <c>IDbContextFactory&lt;PortalDbContext&gt;</c> (AddDbContextFactory); adds
    /// <see cref="TimeProvider.System"/> unless a TimeProvider is registered.
    /// </summary>
    public static IServiceCollection AddPortalStores(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<JobStore>();
        services.TryAddSingleton<GpuStore>();
        services.TryAddSingleton<QuotaStore>();
        services.TryAddSingleton<UsageStore>();
        services.TryAddSingleton<ApiTokenStore>();
        services.TryAddSingleton<JobPresetStore>();
        services.TryAddSingleton<BookingStore>();
        services.TryAddSingleton<UserStore>();
        services.TryAddSingleton<AuditStore>();
        services.TryAddSingleton<NotificationStore>();
        services.TryAddSingleton<SystemNotifications>();
        services.TryAddSingleton<NotificationDeliveries>();
        return services;
    }
}
