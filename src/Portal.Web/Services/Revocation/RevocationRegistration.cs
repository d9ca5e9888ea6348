using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Portal.Web.Services.Revocation;

internal static class RevocationRegistration
{
    /// <summary>Revocation that reaches what is already open: circuits, their streams, and requests in flight.</summary>
    public static IServiceCollection AddSessionRevocation(this IServiceCollection services)
    {
        services.AddSingleton<SessionRevocations>();
        services.AddScoped<UserRevocation>();
        services.AddScoped<AuthenticationStateProvider, RevalidatingAuthenticationState>();
        services.AddScoped<CircuitHandler, SessionEndingCircuitHandler>();
        return services;
    }
}
