using Portal.Web.Services.Accounts;

namespace Portal.Web.Security;

/// <summary>
/// Someone in a role that requires a second factor, who has none yet, can do nothing but set one up (a TOTP
/// authenticator or a passkey) or sign out. Their API tokens are refused meanwhile by the same claim.
/// </summary>
internal static class SecondFactorEnrollmentGate
{
    public const string SecurityPath = "/account/security";

    private static readonly string[] AllowedPrefixes =
        [SecurityPath, "/account/passkey", "/account/logout", "/_framework", "/_content", "/css", "/js", "/error", "/app."];

    public static IApplicationBuilder UseSecondFactorEnrollmentGate(this IApplicationBuilder app) =>
        app.Use(async (context, next) =>
        {
            bool mustEnroll = context.User.HasClaim(PortalClaimsPrincipalFactory.MustEnrollSecondFactorClaim, "true");
            string path = context.Request.Path.Value ?? "/";
            if (mustEnroll && !AllowedPrefixes.Any(p => path.StartsWith(p, StringComparison.OrdinalIgnoreCase)))
            {
                context.Response.Redirect(SecurityPath);
                return;
            }

            await next(context);
        });
}
