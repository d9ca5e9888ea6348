using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Data.Entities;
using Portal.Web.Services.Audit;
using Portal.Web.Services.Sessions.Proxy;

namespace Portal.Web.Services.Accounts;

/// <summary>The outcome of an admin action: an error a person can act on, or success with an optional one-time password.</summary>
public sealed record AdminResult(bool Succeeded, string Message, string? OneTimePassword = null)
{
    public static AdminResult Fail(string message) => new(false, message);
}

/// <summary>
/// Admin changes to accounts. Pages are authorized for admins only; every method here is called with
/// the acting admin and writes an audit row whether it worked or not.
/// </summary>
public sealed class UserAdministration(
    UserManager<PortalUser> userManager, LinuxAccountValidator linuxAccounts, AuditLog audit, ProxiedConnections sessionConnections)
{
    public async Task<AdminResult> CreateAsync(
        AuditActor admin, string userName, string linuxUserName, bool makeAdmin, CancellationToken cancellationToken)
    {
        userName = userName.Trim();
        LinuxAccountCheck check = await linuxAccounts.CheckAsync(linuxUserName, cancellationToken);
        AdminResult result = check.Account is null
            ? AdminResult.Fail(check.Error!)
            : await CreateBoundAsync(userName, check.Account.Name, check.Account.Uid, makeAdmin);
        await audit.WriteAsync(
            AuditActions.UserCreated, admin, result.Succeeded, userName,
            result.Succeeded ? $"linux={linuxUserName} admin={makeAdmin}" : result.Message, cancellationToken);
        return result;
    }

    public Task<AdminResult> DisableAsync(AuditActor admin, Guid userId, CancellationToken cancellationToken) =>
        ChangeAsync(admin, userId, AuditActions.UserDisabled, async user =>
        {
            if (user.Id == admin.Id)
            {
                return AdminResult.Fail("You cannot disable your own account.");
            }

            user.Disable();
            // A new security stamp ends every session of the account at its next request; its proxied apps' open
            // connections (notebook kernels, terminals) end now.
            await userManager.UpdateSecurityStampAsync(user);
            sessionConnections.CloseAllFor(user.Id);
            return new AdminResult(true, $"{user.UserName} is disabled and signed out everywhere.");
        }, cancellationToken);

    public Task<AdminResult> EnableAsync(AuditActor admin, Guid userId, CancellationToken cancellationToken) =>
        ChangeAsync(admin, userId, AuditActions.UserEnabled, async user =>
        {
            user.Enable();
            await userManager.ResetAccessFailedCountAsync(user);
            await userManager.SetLockoutEndDateAsync(user, null);
            return new AdminResult(true, $"{user.UserName} is enabled.");
        }, cancellationToken);

    public Task<AdminResult> ResetPasswordAsync(AuditActor admin, Guid userId, CancellationToken cancellationToken) =>
        ChangeAsync(admin, userId, AuditActions.PasswordReset, async user =>
        {
            string password = OneTimePassword.Generate();
            string token = await userManager.GeneratePasswordResetTokenAsync(user);
            IdentityResult reset = await userManager.ResetPasswordAsync(user, token, password);
            if (!reset.Succeeded)
            {
                return AdminResult.Fail(Describe(reset));
            }

            user.MustChangePassword = true;
            await userManager.UpdateAsync(user);
            // The reset changed the security stamp, which ends the account's sessions; their proxied apps go too.
            sessionConnections.CloseAllFor(user.Id);
            return new AdminResult(true, $"New one-time password for {user.UserName}; it is shown only now.", password);
        }, cancellationToken);

    public Task<AdminResult> SetAdminAsync(AuditActor admin, Guid userId, bool isAdmin, CancellationToken cancellationToken) =>
        ChangeAsync(admin, userId, isAdmin ? AuditActions.AdminGranted : AuditActions.AdminRevoked, async user =>
        {
            if (!isAdmin && user.Id == admin.Id)
            {
                return AdminResult.Fail("You cannot remove your own admin role; ask another admin.");
            }

            IdentityResult result = isAdmin
                ? await userManager.AddToRoleAsync(user, Roles.Admin)
                : await userManager.RemoveFromRoleAsync(user, Roles.Admin);
            if (!result.Succeeded)
            {
                return AdminResult.Fail(Describe(result));
            }

            await userManager.UpdateSecurityStampAsync(user);
            return new AdminResult(true, isAdmin ? $"{user.UserName} is now an admin." : $"{user.UserName} is no longer an admin.");
        }, cancellationToken);

    private async Task<AdminResult> CreateBoundAsync(string userName, string linuxUserName, uint uid, bool makeAdmin)
    {
        if (await userManager.Users.AnyAsync(u => u.LinuxUserName == linuxUserName))
        {
            return AdminResult.Fail($"The Linux account '{linuxUserName}' is already bound to another portal user.");
        }

        var user = new PortalUser(userName) { MustChangePassword = true };
        user.BindLinuxAccount(linuxUserName, uid);
        string password = OneTimePassword.Generate();
        IdentityResult created = await userManager.CreateAsync(user, password);
        if (!created.Succeeded)
        {
            return AdminResult.Fail(Describe(created));
        }

        IEnumerable<string> roles = makeAdmin ? Roles.All : [Roles.User];
        IdentityResult roled = await userManager.AddToRolesAsync(user, roles);
        if (!roled.Succeeded)
        {
            await userManager.DeleteAsync(user);
            return AdminResult.Fail(Describe(roled));
        }

        return new AdminResult(true, $"Created {userName}, running jobs as '{linuxUserName}'. One-time password (shown only now):", password);
    }

    private async Task<AdminResult> ChangeAsync(
        AuditActor admin, Guid userId, string action, Func<PortalUser, Task<AdminResult>> change, CancellationToken cancellationToken)
    {
        PortalUser? user = await userManager.FindByIdAsync(userId.ToString());
        AdminResult result = user is null ? AdminResult.Fail("No such user.") : await change(user);
        if (result.Succeeded && user is not null)
        {
            IdentityResult saved = await userManager.UpdateAsync(user);
            if (!saved.Succeeded)
            {
                result = AdminResult.Fail(Describe(saved));
            }
        }

        await audit.WriteAsync(action, admin, result.Succeeded, user?.UserName ?? userId.ToString(),
            result.Succeeded ? null : result.Message, cancellationToken);
        return result;
    }

    private static string Describe(IdentityResult result) => string.Join(" ", result.Errors.Select(e => e.Description));
}
