using Microsoft.AspNetCore.Identity;
using Portal.Data.Entities;
using Portal.Web.Services.Audit;
using Portal.Web.Services.Sessions.Proxy;

namespace Portal.Web.Services.Accounts;

public enum LoginOutcome
{
    SignedIn,
    MustChangePassword,
    Failed,
    LockedOut,
    Disabled,
}

/// <summary>Password sign-in with lockout, and an audit row for every attempt.</summary>
public sealed class LoginService(
    SignInManager<PortalUser> signInManager, UserManager<PortalUser> userManager, AuditLog audit, ProxiedConnections sessionConnections)
{
    public async Task<LoginOutcome> SignInAsync(string userName, string password, CancellationToken cancellationToken)
    {
        PortalUser? user = await userManager.FindByNameAsync(userName);
        var actor = new AuditActor(user?.Id, userName);
        if (user is null)
        {
            // Same answer and a hash's worth of work as for a wrong password: no user enumeration.
            userManager.PasswordHasher.HashPassword(new PortalUser(userName), password);
            await audit.WriteAsync(AuditActions.LoginFailed, actor, false, userName, "unknown user", cancellationToken);
            return LoginOutcome.Failed;
        }

        if (user.IsDisabled)
        {
            await audit.WriteAsync(AuditActions.LoginRefusedDisabled, actor, false, userName, null, cancellationToken);
            return LoginOutcome.Disabled;
        }

        SignInResult result = await signInManager.PasswordSignInAsync(user, password, isPersistent: false, lockoutOnFailure: true);
        if (result.Succeeded)
        {
            await audit.WriteAsync(AuditActions.LoginSucceeded, actor, true, userName, null, cancellationToken);
            return user.MustChangePassword ? LoginOutcome.MustChangePassword : LoginOutcome.SignedIn;
        }

        if (result.IsLockedOut)
        {
            await audit.WriteAsync(AuditActions.LoginLockedOut, actor, false, userName, "locked out after repeated failures", cancellationToken);
            return LoginOutcome.LockedOut;
        }

        await audit.WriteAsync(AuditActions.LoginFailed, actor, false, userName, "wrong password", cancellationToken);
        return LoginOutcome.Failed;
    }

    public async Task SignOutAsync(AuditActor actor, CancellationToken cancellationToken)
    {
        await signInManager.SignOutAsync();
        // Open notebooks and terminals end with the sign-out, not when their WebSockets next reconnect.
        if (actor.Id is { } id)
        {
            sessionConnections.CloseAllFor(id);
        }

        await audit.WriteAsync(AuditActions.Logout, actor, true, actor.Name, null, cancellationToken);
    }
}
