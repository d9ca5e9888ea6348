using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Portal.Data.Entities;

namespace Portal.Web.Services.Accounts;

/// <summary>Adds the claims the portal needs on every request without a database round trip.</summary>
internal sealed class PortalClaimsPrincipalFactory(
    UserManager<PortalUser> userManager,
    RoleManager<IdentityRole<Guid>> roleManager,
    IOptions<IdentityOptions> options)
    : UserClaimsPrincipalFactory<PortalUser, IdentityRole<Guid>>(userManager, roleManager, options)
{
    public const string MustChangePasswordClaim = "portal:must_change_password";
    public const string LinuxUserClaim = "portal:linux_user";
    public const string MustEnrollSecondFactorClaim = "portal:must_enroll_second_factor";

    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(PortalUser user)
    {
        ClaimsIdentity identity = await base.GenerateClaimsAsync(user);
        if (user.MustChangePassword)
        {
            identity.AddClaim(new Claim(MustChangePasswordClaim, "true"));
        }

        if (await new SecondFactorRequirement(RoleManager, UserManager).MustEnrollAsync(user))
        {
            identity.AddClaim(new Claim(MustEnrollSecondFactorClaim, "true"));
        }

        if (user.LinuxUserName is { } linuxUser)
        {
            identity.AddClaim(new Claim(LinuxUserClaim, linuxUser));
        }

        return identity;
    }
}
