using System.Diagnostics;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Data.Entities;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Configuration;
using Portal.Web.Services.Audit;
using Portal.Web.Services.SignIn;
using Portal.Web.Services.Sessions.Proxy;

namespace Portal.Web.Services.Accounts;

public enum LoginOutcome
{
    SignedIn,
    MustChangePassword,

    /// <summary>The password was right; a second factor (TOTP, a recovery code or a passkey) comes next.</summary>
    RequiresSecondFactor,
    Failed,

    /// <summary>Too many failures from this address (for this account, or over all): nothing was checked.</summary>
    Throttled,
    LockedOut,
    Disabled,

    /// <summary>The password was right but the account cannot be used as it is; <see cref="LoginResult.Message"/> says why.</summary>
    Refused,
}

/// <summary>A sign-in's outcome, with a sentence for the person where the outcome needs one.</summary>
public sealed record LoginResult(LoginOutcome Outcome, string? Message = null, TimeSpan? RetryAfter = null);

/// <summary>
/// Password sign-in: a portal account's own password, or, for everyone else, the Linux account's password checked by the
/// launcher (PAM), which creates the portal account bound to that Linux account at the first sign-in. Every attempt is
/// audited; failures are throttled per (account, address) and per address, and all of them answer after one floor.
/// A disabled account says so only after its password was right.
/// </summary>
public sealed partial class LoginService(
    PortalSignInManager signInManager,
    UserManager<PortalUser> userManager,
    ILinuxPasswordCheck linuxPasswords,
    LinuxAccountValidator linuxAccounts,
    SignInThrottle throttle,
    LinuxCheckGate gate,
    IOptions<PasswordSignInOptions> options,
    IOptions<PortalOptions> portalOptions,
    AuditLog audit,
    ProxiedConnections sessionConnections,
    ILogger<LoginService> logger)
{
    public async Task<LoginResult> SignInAsync(string userName, string password, string? remoteAddress, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        string address = remoteAddress ?? "local";
        if (throttle.RetryAfter(address, userName) is { } wait)
        {
            await audit.WriteAsync(AuditActions.LoginThrottled, new AuditActor(null, userName), false, userName,
                $"too many failures from {address}; nothing checked", cancellationToken);
            return new LoginResult(LoginOutcome.Throttled, RetryAfter: wait);
        }

        PortalUser? user = await userManager.FindByNameAsync(userName);
        Verdict verdict = user is { PasswordHash: not null }
            ? await CheckPortalPasswordAsync(user, password)
            : await CheckLinuxPasswordAsync(userName, password, remoteAddress, cancellationToken);

        var actor = new AuditActor(verdict.User?.Id ?? user?.Id, userName);
        if (verdict.User is not { } signedIn)
        {
            throttle.RecordFailure(address, userName);
            await audit.WriteAsync(AuditActions.LoginFailed, actor, false, userName, verdict.Why, cancellationToken);
            await WaitForFloorAsync(started, cancellationToken);
            return verdict.Refusal is null ? new LoginResult(LoginOutcome.Failed) : new LoginResult(LoginOutcome.Refused, verdict.Refusal);
        }

        throttle.RecordSuccess(address, userName);
        if (signedIn.IsDisabled)
        {
            await audit.WriteAsync(AuditActions.LoginRefusedDisabled, actor, false, userName, null, cancellationToken);
            return new LoginResult(LoginOutcome.Disabled);
        }

        // Identity's own lockout counts wrong second factors only (someone who has the password already).
        if (await userManager.IsLockedOutAsync(signedIn))
        {
            await audit.WriteAsync(AuditActions.LoginLockedOut, actor, false, userName, "locked after repeated wrong second factors", cancellationToken);
            return new LoginResult(LoginOutcome.LockedOut);
        }

        SignInResult result = await signInManager.SignInAfterPasswordAsync(signedIn);
        if (result.RequiresTwoFactor)
        {
            await audit.WriteAsync(AuditActions.LoginPassword, actor, true, userName, $"{verdict.Why}; second factor required", cancellationToken);
            return new LoginResult(LoginOutcome.RequiresSecondFactor);
        }

        if (!result.Succeeded)
        {
            await audit.WriteAsync(AuditActions.LoginFailed, actor, false, userName, "sign-in not allowed", cancellationToken);
            return new LoginResult(LoginOutcome.Failed);
        }

        await audit.WriteAsync(AuditActions.LoginSucceeded, actor, true, userName, verdict.Why, cancellationToken);
        return signedIn.MustChangePassword ? new LoginResult(LoginOutcome.MustChangePassword) : new LoginResult(LoginOutcome.SignedIn);
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

    /// <summary>Whether Linux passwords can be checked here, and if not, why (for the sign-in page and the host check).</summary>
    public string? LinuxPasswordsUnavailableReason() =>
        !options.Value.LinuxPasswords ? "Linux password sign-in is turned off (Portal:SignIn:LinuxPasswords)."
        : HostModes.Detect(portalOptions.Value) == HostMode.SingleUser
            ? "Linux password sign-in needs the launcher installed with its sudo rule: this development portal runs the launcher as "
              + $"'{Environment.UserName}', who cannot read /etc/shadow. Sign in with a portal account."
            : null;

    private async Task<Verdict> CheckPortalPasswordAsync(PortalUser user, string password) =>
        await userManager.CheckPasswordAsync(user, password)
            ? new Verdict(user, "portal password", null)
            : new Verdict(null, "wrong portal password", null);

    private async Task<Verdict> CheckLinuxPasswordAsync(string name, string password, string? remoteAddress, CancellationToken cancellationToken)
    {
        if (LinuxPasswordsUnavailableReason() is { } off)
        {
            return new Verdict(null, "no portal account; " + off, null);
        }

        if (!LinuxUserName.IsValid(name))
        {
            return new Verdict(null, "no portal account, and not a Linux user name", null);
        }

        LinuxPasswordResult result;
        using (await gate.EnterAsync(cancellationToken))
        {
            try
            {
                result = await linuxPasswords.CheckAsync(name, password, remoteAddress, cancellationToken);
            }
            catch (LauncherException e)
            {
                LogLauncherFailed(logger, name, e.Message);
                return new Verdict(null, "the launcher could not check the Linux password: " + e.Message, null);
            }
        }

        if (result.Account is not { } account)
        {
            // The launcher's uniform refusal is a plain failure; anything else (an expired password) is worth saying.
            bool plain = result.Refusal == AuthenticateRefusal.Text;
            return new Verdict(null, "Linux password refused: " + result.Refusal, plain ? null : result.Refusal);
        }

        return await BoundAccountAsync(account, cancellationToken);
    }

    /// <summary>The portal account bound to the Linux account the launcher vouched for, created at the first sign-in.</summary>
    private async Task<Verdict> BoundAccountAsync(AuthenticatedAccount account, CancellationToken cancellationToken)
    {
        // The same checks as an admin's binding: the portal's own lookup must agree on name and uid.
        LinuxAccountCheck check = await linuxAccounts.CheckAsync(account.User, cancellationToken);
        if (check.Account is not { } seen || seen.Uid != account.Uid)
        {
            string why = check.Error ?? $"the host reports uid {check.Account?.Uid} for '{account.User}', the launcher {account.Uid}";
            return new Verdict(null, "Linux password right, account not bindable: " + why, $"The Linux account '{account.User}' cannot be used: {why}");
        }

        PortalUser? bound = await userManager.Users.SingleOrDefaultAsync(u => u.LinuxUserName == account.User, cancellationToken);
        if (bound is not null)
        {
            return bound.LinuxUid == account.Uid
                ? new Verdict(bound, "Linux password", null)
                : new Verdict(null, $"bound uid {bound.LinuxUid} differs from {account.Uid}",
                    $"The Linux account '{account.User}' now has uid {account.Uid}, not the uid {bound.LinuxUid} its portal account was bound to. Ask an admin.");
        }

        if (await userManager.FindByNameAsync(account.User) is not null)
        {
            return new Verdict(null, "portal name taken by an account bound elsewhere",
                $"The portal name '{account.User}' belongs to another portal account. Ask an admin to bind your Linux account.");
        }

        var user = new PortalUser(account.User);
        user.BindLinuxAccount(account.User, account.Uid);
        IdentityResult created = await userManager.CreateAsync(user);
        if (created.Succeeded)
        {
            created = await userManager.AddToRoleAsync(user, Roles.User);
        }

        string outcome = created.Succeeded ? $"linux={account.User} uid={account.Uid}" : string.Join(" ", created.Errors.Select(e => e.Description));
        await audit.WriteAsync(AuditActions.UserCreatedBySignIn, new AuditActor(user.Id, account.User), created.Succeeded, account.User, outcome, cancellationToken);
        return created.Succeeded
            ? new Verdict(user, "Linux password; portal account created", null)
            : new Verdict(null, "could not create the portal account: " + outcome, "Your portal account could not be created: " + outcome);
    }

    private async Task WaitForFloorAsync(long started, CancellationToken cancellationToken)
    {
        TimeSpan left = options.Value.RefusalFloor - Stopwatch.GetElapsedTime(started);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left, cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The launcher could not check the Linux password of {User}: {Problem}")]
    private static partial void LogLauncherFailed(ILogger logger, string user, string problem);

    /// <summary>Whose password it was (null: nobody's), what the audit log says, and what the person is told beyond "wrong".</summary>
    private sealed record Verdict(PortalUser? User, string Why, string? Refusal);
}
