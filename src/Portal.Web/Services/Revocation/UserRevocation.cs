using Microsoft.AspNetCore.Identity;
using Portal.Data.Entities;
using Portal.Data.Tokens;
using Portal.Web.Services.Sessions.Proxy;

namespace Portal.Web.Services.Revocation;

/// <summary>
/// Ends everything a user holds: their cookie sessions (a new security stamp, checked on every request), their API
/// tokens (revoked in the table), and what is open right now (circuits and streams, through <see cref="SessionRevocations"/>, and proxied session apps).
/// </summary>
public sealed class UserRevocation(UserManager<PortalUser> userManager, ApiTokenStore tokens, SessionRevocations sessions,
    ProxiedConnections sessionApps)
{
    /// <summary>Revokes all; returns how many API tokens were revoked.</summary>
    public async Task<int> RevokeAllAsync(PortalUser user, CancellationToken cancellationToken)
    {
        await userManager.UpdateSecurityStampAsync(user);
        int revoked = await RevokeTokensAsync(user.Id, cancellationToken);
        sessions.Revoke(user.Id);
        // Their interactive sessions' open connections (notebook kernels, terminals) end now too.
        sessionApps.CloseAllFor(user.Id);
        return revoked;
    }

    /// <summary>Revokes the user's API tokens only (a password change offers this), and ends their running API streams.</summary>
    public async Task<int> RevokeTokensAsync(Guid userId, CancellationToken cancellationToken) =>
        await tokens.RevokeAllAsync(userId, cancellationToken);
}
