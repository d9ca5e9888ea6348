using System.Diagnostics;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Portal.Web.Services.Sessions.Activity;
using Portal.Web.Services.Sessions.Idle;
using Portal.Web.Services.Sessions.Proxy;

namespace Portal.Web.Services.Sessions;

/// <summary>Registers the session proxy (section "Portal:Sessions") and maps <c>/s/&lt;job id&gt;/</c>.</summary>
internal static class SessionProxyRegistration
{
    public static IServiceCollection AddSessionProxy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<SessionOptions>().Bind(configuration.GetSection(SessionOptions.SectionName)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<SessionOptions>, SessionOptionsValidator>();
        services.AddHttpForwarder();
        services.AddSingleton<SessionSocketClient>();
        services.AddSingleton<ProxiedConnections>();
        services.AddSingleton<SessionTrafficRecorder>();
        services.AddSingleton<ISessionTrafficSource>(sp => sp.GetRequiredService<SessionTrafficRecorder>());
        services.AddSingleton<SessionProxy>();
        services.TryAddSingleton<ISessionTargets, JobSessionTargets>();
        services.AddSingleton<ISessionAppProbe, SessionAppProbe>();
        services.AddSingleton<SessionGpuActivity>();
        services.AddSingleton<SessionIdleReclaimer>();
        services.AddSingleton<ISessionIdleSource>(sp => sp.GetRequiredService<SessionIdleReclaimer>());
        services.AddHostedService(sp => sp.GetRequiredService<SessionIdleReclaimer>());
        services.AddSingleton<SessionKeeping>();
        return services;
    }

    /// <summary>
    /// Notes when a session request arrived, before its cookie is checked (place it before authentication): a user
    /// signed out or disabled while the request was being authenticated is then caught by <see cref="ProxiedConnections"/>.
    /// </summary>
    public static IApplicationBuilder UseSessionRequestClock(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            if (context.Request.Path.StartsWithSegments(SessionPaths.Root, StringComparison.Ordinal))
            {
                context.Items[SessionProxy.AuthenticatedAtItem] = Stopwatch.GetTimestamp();
            }

            return next(context);
        });

    public static IEndpointRouteBuilder MapSessionProxy(this IEndpointRouteBuilder endpoints)
    {
        // The browser's session cookie only: a session is a page for a person, not an API for a token.
        var cookieOnly = new AuthorizeAttribute { AuthenticationSchemes = IdentityConstants.ApplicationScheme };
        endpoints.Map(SessionPaths.Route, ServeAsync)
            .RequireAuthorization(cookieOnly)
            .DisableAntiforgery()
            .ExcludeFromDescription();
        return endpoints;
    }

    private static async Task ServeAsync(HttpContext context, long jobId, [FromServices] SessionProxy proxy)
    {
        string prefix = SessionPaths.Prefix(jobId);
        if (context.Request.Path.Value!.Length < prefix.Length)
        {
            // Apps expect their base path with its slash: "/s/42" would resolve relative links against "/s/".
            context.Response.Redirect(prefix + context.Request.QueryString);
            return;
        }

        await proxy.ForwardAsync(context, jobId);
    }
}
