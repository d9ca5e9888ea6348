using Microsoft.Extensions.Options;

namespace Portal.Web.Services.Notifications;

/// <summary>Registers notifications (section "Portal:Notifications"): the senders and the outbox dispatcher.</summary>
internal static class NotificationRegistration
{
    public static IServiceCollection AddNotifications(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<NotificationOptions>().Bind(configuration.GetSection(NotificationOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<NotificationOptions>, NotificationOptionsValidator>();
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton(sp => new WebhookAddressRule(sp.GetRequiredService<IOptions<NotificationOptions>>().Value.Webhooks.AllowedPrivateNetworks));
        services.AddSingleton<SmtpNotificationSender>();
        services.AddSingleton<WebhookNotificationSender>();
        services.AddSingleton<NotificationSettingsEditor>();
        services.AddSingleton<NotificationDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<NotificationDispatcher>());
        return services;
    }
}
