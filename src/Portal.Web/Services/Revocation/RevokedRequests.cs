using System.Security.Claims;

namespace Portal.Web.Services.Revocation;

/// <summary>
/// Ties every signed-in request (a cookie or an API token) to its user's revocation: when the user is disabled, reset
/// or demoted, their requests in flight are aborted, which ends a log download or an API log stream mid-way. Blazor's
/// own connection is left to <see cref="RevalidatingAuthenticationState"/>, which first sends the browser to the
/// sign-in page.
/// </summary>
internal static class RevokedRequests
{
    public static IApplicationBuilder UseRevokedRequestAbort(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            if (context.Request.Path.StartsWithSegments("/_blazor", StringComparison.Ordinal)
                || !Guid.TryParse(context.User.FindFirstValue(ClaimTypes.NameIdentifier), out Guid userId))
            {
                await next(context);
                return;
            }

            SessionRevocations revocations = context.RequestServices.GetRequiredService<SessionRevocations>();
            using CancellationTokenRegistration abort = revocations.TokenFor(userId).Register(static c => ((HttpContext)c!).Abort(), context);
            await next(context);
        });
}
