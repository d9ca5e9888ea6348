using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Portal.Data;
using Portal.Data.Entities;
using Portal.Web.Services.Audit;
using Portal.Web.Services.Revocation;

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
    UserManager<PortalUser> userManager, LinuxAccountValidator linuxAccounts, UserRevocation revocation,
    SecondFactorRequirement secondFactors, AuditLog audit)
{
    /// <summary>Creates a portal user bound to a Linux account; with <paramref name="linuxPassword"/> they get no portal password and sign in with the Linux one.</summary>
    public async Task<AdminResult> CreateAsync(
        AuditActor admin, string userName, string linuxUserName, bool makeAdmin, CancellationToken cancellationToken, bool linuxPassword = false)
    {
        userName = userName.Trim();
        LinuxAccountCheck check = await linuxAccounts.CheckAsync(linuxUserName, cancellationToken);
        AdminResult result = check.Account is null
            ? AdminResult.Fail(check.Error!)
            : await CreateBoundAsync(userName, check.Account.Name, check.Account.Uid, makeAdmin, linuxPassword);
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
            // Sessions, API tokens, open pages and running streams all end now, not at their next request.
            int tokens = await revocation.RevokeAllAsync(user, cancellationToken);
            return new AdminResult(true, $"{user.UserName} is disabled and signed out everywhere; {tokens} API token(s) revoked.");
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
            if (user.PasswordHash is null)
            {
                return AdminResult.Fail($"{user.UserName} signs in with a Linux password or single sign-on, which the portal does not keep; change it on the box (passwd) or at the identity provider.");
            }

            string password = OneTimePassword.Generate();
            string token = await userManager.GeneratePasswordResetTokenAsync(user);
            IdentityResult reset = await userManager.ResetPasswordAsync(user, token, password);
            if (!reset.Succeeded)
            {
                return AdminResult.Fail(Describe(reset));
            }

            user.MustChangePassword = true;
            await userManager.UpdateAsync(user);
            int tokens = await revocation.RevokeAllAsync(user, cancellationToken);
            return new AdminResult(true, $"New one-time password for {user.UserName}; it is shown only now. Signed out everywhere; {tokens} API token(s) revoked.", password);
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

            if (isAdmin)
            {
                await userManager.UpdateSecurityStampAsync(user);
                return new AdminResult(true, $"{user.UserName} is now an admin.");
            }

            int tokens = await revocation.RevokeAllAsync(user, cancellationToken);
            return new AdminResult(true, $"{user.UserName} is no longer an admin; signed out everywhere, {tokens} API token(s) revoked.");
        }, cancellationToken);

    /// <summary>Ends the user's sessions, open pages, streams and API tokens without changing the account.</summary>
    public Task<AdminResult> RevokeSessionsAsync(AuditActor admin, Guid userId, CancellationToken cancellationToken) =>
        ChangeAsync(admin, userId, AuditActions.SessionsRevoked, async user =>
        {
            int tokens = await revocation.RevokeAllAsync(user, cancellationToken);
            return new AdminResult(true, $"{user.UserName} is signed out everywhere; {tokens} API token(s) revoked.");
        }, cancellationToken);

    private async Task<AdminResult> CreateBoundAsync(string userName, string linuxUserName, uint uid, bool makeAdmin, bool linuxPassword)
    {
        if (await userManager.Users.AnyAsync(u => u.LinuxUserName == linuxUserName))
        {
            return AdminResult.Fail($"The Linux account '{linuxUserName}' is already bound to another portal user.");
        }

        // A uid is one owner on the box (files, containers, GPU ACLs): an account removed and made again can get the
        // uid of one still bound, which the database refuses; say so instead of failing on the unique index.
        long linuxUid = uid;
        if (await userManager.Users.Where(u => u.LinuxUid == linuxUid).Select(u => u.LinuxUserName).FirstOrDefaultAsync() is { } holder)
        {
            return AdminResult.Fail(
                $"UID {uid} of '{linuxUserName}' is already bound to another portal user (as '{holder}'): that account was removed and its UID reused. Disable or rebind that user first.");
        }

        var user = new PortalUser(userName) { MustChangePassword = !linuxPassword };
        user.BindLinuxAccount(linuxUserName, uid);
        string? password = linuxPassword ? null : OneTimePassword.Generate();
        IdentityResult created = password is null ? await userManager.CreateAsync(user) : await userManager.CreateAsync(user, password);
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

        return password is null
            ? new AdminResult(true, $"Created {userName}, running jobs as '{linuxUserName}' and signing in with that account's Linux password.")
            : new AdminResult(true, $"Created {userName}, running jobs as '{linuxUserName}'. One-time password (shown only now):", password);
    }

    /// <summary>Sets which roles require a second factor; members of a role that newly requires one are signed out.</summary>
    public async Task<AdminResult> SetSecondFactorRequirementAsync(AuditActor admin, IReadOnlySet<string> roles, CancellationToken cancellationToken)
    {
        foreach (string role in Roles.All)
        {
            bool wanted = roles.Contains(role);
            if (wanted == await secondFactors.IsRequiredForRoleAsync(role))
            {
                continue;
            }

            await secondFactors.SetAsync(role, wanted);
            // New sessions carry the requirement; existing ones are refreshed by a new stamp (they sign in again).
            foreach (PortalUser member in await userManager.GetUsersInRoleAsync(role))
            {
                await userManager.UpdateSecurityStampAsync(member);
            }

            await audit.WriteAsync(AuditActions.SecondFactorRequirement, admin, true, role, wanted ? "required" : "not required", cancellationToken);
        }

        return new AdminResult(true, roles.Count == 0 ? "No role requires a second factor." : $"A second factor is required for: {string.Join(", ", roles.Order(StringComparer.Ordinal))}.");
    }

    /// <summary>Binds an identity provider's subject to a portal account by hand.</summary>
    public async Task<AdminResult> BindSingleSignOnAsync(AuditActor admin, string userName, string subject, string displayName, CancellationToken cancellationToken)
    {
        PortalUser? user = await userManager.FindByNameAsync(userName.Trim());
        AdminResult result;
        if (user is null)
        {
            result = AdminResult.Fail($"No portal user '{userName}'.");
        }
        else if (await userManager.FindByLoginAsync(Web.Services.SignIn.SingleSignOnOptions.Scheme, subject.Trim()) is { } other)
        {
            result = AdminResult.Fail($"That subject already signs in to {other.UserName}.");
        }
        else
        {
            IdentityResult added = await userManager.AddLoginAsync(user, new UserLoginInfo(Web.Services.SignIn.SingleSignOnOptions.Scheme, subject.Trim(), displayName));
            result = added.Succeeded ? new AdminResult(true, $"The subject '{subject.Trim()}' now signs in to {user.UserName}.") : AdminResult.Fail(Describe(added));
        }

        await audit.WriteAsync(AuditActions.SingleSignOnBound, admin, result.Succeeded, userName, result.Succeeded ? $"subject {subject.Trim()}" : result.Message, cancellationToken);
        return result;
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
