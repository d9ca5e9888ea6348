using System.Security.Claims;
using Portal.Api.Contracts;
using Portal.Data;
using Portal.Web.Services.Accounts;

namespace Portal.Web.Security.ApiTokens;

/// <summary>
/// Who calls the API, from the token's claims. <see cref="ActsAsAdmin"/> needs both the admin role and the admin
/// scope: an administrator's everyday jobs:read token sees only their own jobs, as they would want from a script.
/// </summary>
public sealed record ApiCaller(Guid Id, string Name, string? LinuxUserName, bool ActsAsAdmin, long TokenId)
{
    public static ApiCaller From(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var user = CurrentUser.From(principal);
        var hasAdminScope = principal.HasClaim(ApiTokenAuthenticationHandler.ScopeClaim, ApiScopes.Admin);
        var tokenId = long.Parse(
            principal.FindFirstValue(ApiTokenAuthenticationHandler.TokenIdClaim) ?? throw new InvalidOperationException("Not a token principal."),
            System.Globalization.CultureInfo.InvariantCulture);
        return new ApiCaller(user.Id, user.Name, user.LinuxUserName, principal.IsInRole(Roles.Admin) && hasAdminScope, tokenId);
    }

    /// <summary>The caller as the services the pages use see a requester: an administrator only with the admin scope.</summary>
    public CurrentUser AsRequester() => new(Id, Name, ActsAsAdmin, LinuxUserName);
}
