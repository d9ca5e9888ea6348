using System.Security.Claims;
using Microsoft.AspNetCore.Identity;
using Portal.Data;
using Portal.Data.Entities;

namespace Portal.Web.Services.Accounts;

/// <summary>
/// Which roles require a second factor: a claim on the role (no table of its own), set by admins on the Users page.
/// </summary>
public sealed class SecondFactorRequirement(RoleManager<IdentityRole<Guid>> roles, UserManager<PortalUser> users)
{
    public const string RoleClaim = "portal:require_second_factor";

    public async Task<bool> IsRequiredForRoleAsync(string role) =>
        await roles.FindByNameAsync(role) is { } found && (await roles.GetClaimsAsync(found)).Any(c => c.Type == RoleClaim && c.Value == "true");

    public async Task<IReadOnlySet<string>> RolesRequiringAsync()
    {
        var requiring = new HashSet<string>(StringComparer.Ordinal);
        foreach (string role in Roles.All)
        {
            if (await IsRequiredForRoleAsync(role))
            {
                requiring.Add(role);
            }
        }

        return requiring;
    }

    /// <summary>Sets the requirement; the role's members' sessions are refreshed by the caller (a new security stamp).</summary>
    public async Task SetAsync(string role, bool required)
    {
        IdentityRole<Guid> found = await roles.FindByNameAsync(role) ?? throw new InvalidOperationException($"No role {role}.");
        foreach (Claim old in (await roles.GetClaimsAsync(found)).Where(c => c.Type == RoleClaim))
        {
            await roles.RemoveClaimAsync(found, old);
        }

        if (required)
        {
            await roles.AddClaimAsync(found, new Claim(RoleClaim, "true"));
        }
    }

    /// <summary>True when one of the user's roles requires a second factor and the user has neither TOTP nor a passkey.</summary>
    public async Task<bool> MustEnrollAsync(PortalUser user)
    {
        bool required = false;
        foreach (string role in await users.GetRolesAsync(user))
        {
            required |= await IsRequiredForRoleAsync(role);
        }

        return required && !await HasSecondFactorAsync(user);
    }

    public async Task<bool> HasSecondFactorAsync(PortalUser user) =>
        (await users.GetTwoFactorEnabledAsync(user) && await users.GetAuthenticatorKeyAsync(user) is not null)
        || (await users.GetPasskeysAsync(user)).Count > 0;
}
