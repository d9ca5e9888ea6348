using Microsoft.Extensions.Options;

namespace Portal.Web.Services.Sessions;

/// <summary>
/// With <c>Portal:Sessions:Origin</c> set, keeps sessions and the portal apart: on the sessions' host only session
/// paths and what signing in needs are served (a session's pages cannot reach the portal's pages or API there), and
/// on any other host a session path redirects to the sessions' origin. Without the setting it does nothing.
/// </summary>
internal static class SessionOriginSplit
{
    /// <summary>What the sessions' host serves besides <c>/s/</c>: the sign-in page, the sign-out, the files they use.</summary>
    private static readonly string[] SignInPaths = ["/account/login", "/account/logout", "/_framework", "/_content", "/app.css", "/favicon"];

    public static IApplicationBuilder UseSessionOriginSplit(this IApplicationBuilder app) =>
        app.Use((context, next) =>
        {
            Uri? sessions = context.RequestServices.GetRequiredService<IOptions<SessionOptions>>().Value.OriginUri;
            if (sessions is null)
            {
                return next(context);
            }

            PathString path = context.Request.Path;
            bool sessionPath = path.StartsWithSegments(SessionPaths.Root, StringComparison.Ordinal);
            bool onSessionsHost = string.Equals(context.Request.Host.Host, sessions.Host, StringComparison.OrdinalIgnoreCase)
                && (context.Request.Host.Port ?? DefaultPort(context.Request.Scheme)) == sessions.Port;
            if (onSessionsHost && !sessionPath && !SignInPaths.Any(p => path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase)))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            if (!onSessionsHost && sessionPath)
            {
                context.Response.Redirect(sessions.GetLeftPart(UriPartial.Authority) + path + context.Request.QueryString);
                return Task.CompletedTask;
            }

            return next(context);
        });

    private static int DefaultPort(string scheme) => scheme == "https" ? 443 : 80;
}
