using Portal.Web.Services.Accounts;

namespace Portal.Web.Security;

/// <summary>
/// Someone signed in with a one-time password can do nothing but choose a new one (or sign out).
/// </summary>
internal static class PasswordChangeGate
{
    public const string ChangePasswordPath = "/account/change-password";

    private static readonly string[] AllowedPrefixes = [ChangePasswordPath, "/account/logout", "/_framework", "/_content", "/css", "/js", "/error"];

    /// <summary>
    /// The pages above, the framework's files and the stylesheet. The stylesheet is served at the site's root under a
    /// fingerprinted name (<c>/app.&lt;hash&gt;.css</c>), so a prefix list of folders alone left the page unstyled.
    /// </summary>
    public static bool IsAllowed(string path) =>
        AllowedPrefixes.Any(p => path.StartsWith(p, StringComparison.OrdinalIgnoreCase))
        || (path.StartsWith("/app.", StringComparison.Ordinal) && path.EndsWith(".css", StringComparison.Ordinal)
            && path.IndexOf('/', 1) < 0);

    public static IApplicationBuilder UsePasswordChangeGate(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            bool mustChange = context.User.HasClaim(PortalClaimsPrincipalFactory.MustChangePasswordClaim, "true");
            string path = context.Request.Path.Value ?? "/";
            if (mustChange && !IsAllowed(path))
            {
                context.Response.Redirect(ChangePasswordPath);
                return;
            }

            await next(context);
        });
}
