using Portal.Web.Services.Accounts;

namespace Portal.Web.Security;

/// <summary>
/// Someone signed in with a one-time password can do nothing but choose a new one (or sign out).
/// </summary>
internal static class PasswordChangeGate
{
    public const string ChangePasswordPath = "/account/change-password";

    private static readonly string[] AllowedPrefixes = [ChangePasswordPath, "/account/logout", "/_framework", "/_content", "/css", "/error"];

    public static IApplicationBuilder UsePasswordChangeGate(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            bool mustChange = context.User.HasClaim(PortalClaimsPrincipalFactory.MustChangePasswordClaim, "true");
            string path = context.Request.Path.Value ?? "/";
            if (mustChange && !AllowedPrefixes.Any(p => path.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            {
                context.Response.Redirect(ChangePasswordPath);
                return;
            }

            await next(context);
        });
}
