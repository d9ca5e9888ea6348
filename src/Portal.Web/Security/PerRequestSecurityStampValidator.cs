using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Portal.Data.Entities;

namespace Portal.Web.Security;

/// <summary>
/// Identity's security-stamp check, which the portal runs on every request (a disabled account, a new role or a reset
/// ends a session at once), without re-issuing the session cookie on every response. Identity's own validator renews
/// the cookie whenever it has checked the stamp, so that the next check waits a validation interval; with an interval
/// of zero that meant a fresh <c>portal.session</c> on every response, static files included, and a response still in
/// flight when the user signed out put the cookie they had just deleted back into their browser. The principal is still
/// rebuilt for each request (roles and claims as they are now); the cookie is renewed only as sliding expiration says.
/// </summary>
internal sealed class PerRequestSecurityStampValidator(
    IOptions<SecurityStampValidatorOptions> options,
    SignInManager<PortalUser> signInManager,
    ILoggerFactory logger) : SecurityStampValidator<PortalUser>(options, signInManager, logger)
{
    protected override async Task SecurityStampVerified(PortalUser user, CookieValidatePrincipalContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        await base.SecurityStampVerified(user, context);
        context.ShouldRenew = false;
    }
}
