using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Portal.Data.Entities;

namespace Portal.Web.Services.Accounts;

/// <summary>
/// Identity's sign-in with the portal's rules: disabled accounts never sign in and lose their sessions, and a passkey
/// counts as a second factor (a user with one is asked for it, or a TOTP code, after their password).
/// </summary>
public sealed class PortalSignInManager(
    UserManager<PortalUser> userManager,
    IHttpContextAccessor contextAccessor,
    IUserClaimsPrincipalFactory<PortalUser> claimsFactory,
    IOptions<IdentityOptions> optionsAccessor,
    ILogger<SignInManager<PortalUser>> logger,
    IAuthenticationSchemeProvider schemes,
    IUserConfirmation<PortalUser> confirmation)
    : SignInManager<PortalUser>(userManager, contextAccessor, claimsFactory, optionsAccessor, logger, schemes, confirmation)
{
    public override async Task<bool> CanSignInAsync(PortalUser user) =>
        !user.IsDisabled && await base.CanSignInAsync(user);

    public override async Task<PortalUser?> ValidateSecurityStampAsync(System.Security.Claims.ClaimsPrincipal? principal)
    {
        PortalUser? user = await base.ValidateSecurityStampAsync(principal);
        return user is { IsDisabled: false } ? user : null;
    }

    /// <summary>
    /// Signs in someone whose password (a portal or a Linux one) the caller has checked: at once, or, when the account
    /// has a second factor, only as far as the second-factor step (Identity's two-factor cookie).
    /// </summary>
    public Task<SignInResult> SignInAfterPasswordAsync(PortalUser user, string? loginProvider = null) =>
        SignInOrTwoFactorAsync(user, isPersistent: false, loginProvider);

    /// <summary>
    /// Passwordless sign-in with a passkey (possession of the authenticator plus its user verification: a factor of its
    /// own and a second one, so no further step). Returns whose passkey it was, for the audit log.
    /// </summary>
    public async Task<(SignInResult Result, PortalUser? User)> PasskeySignInWithUserAsync(string credentialJson)
    {
        PasskeyAssertionResult<PortalUser> assertion = await PerformPasskeyAssertionAsync(credentialJson);
        if (!assertion.Succeeded)
        {
            return (SignInResult.Failed, null);
        }

        PortalUser user = assertion.User;
        if (await PreSignInCheck(user) is { } refused)
        {
            return (refused, user);
        }

        // Stores the authenticator's new signature count, which is how a cloned authenticator would show.
        IdentityResult updated = await UserManager.AddOrUpdatePasskeyAsync(user, assertion.Passkey);
        return updated.Succeeded ? (await SignInOrTwoFactorAsync(user, isPersistent: false, bypassTwoFactor: true), user) : (SignInResult.Failed, user);
    }

    /// <summary>
    /// The second step after a password. A passkey signs in on its own anyway, so this is the passwordless sign-in
    /// that also ends the half-done two-factor sign-in. (Identity keeps the passkey challenge in the same cookie as the
    /// pending user, so the pending user cannot be read back here.)
    /// </summary>
    public async Task<(SignInResult Result, PortalUser? User)> PasskeySecondFactorAsync(string credentialJson)
    {
        (SignInResult result, PortalUser? user) = await PasskeySignInWithUserAsync(credentialJson);
        if (result.Succeeded)
        {
            await Context.SignOutAsync(IdentityConstants.TwoFactorUserIdScheme);
        }

        return (result, user);
    }

    /// <summary>A TOTP authenticator (Identity's two-factor flag with a key) or any registered passkey.</summary>
    public override async Task<bool> IsTwoFactorEnabledAsync(PortalUser user) =>
        await base.IsTwoFactorEnabledAsync(user) || (await UserManager.GetPasskeysAsync(user)).Count > 0;
}
