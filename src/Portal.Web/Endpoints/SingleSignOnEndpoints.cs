using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Portal.Data;
using Portal.Data.Entities;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;
using Portal.Web.Services.SignIn;
using SignInResult = Microsoft.AspNetCore.Identity.SignInResult;

namespace Portal.Web.Endpoints;

/// <summary>
/// Single sign-on: <c>/account/sso</c> starts the provider's code flow (with PKCE); <c>/account/sso/complete</c> signs
/// in the portal account bound to the provider's subject, or, the first time, binds one: the account bound to the Linux
/// account the configured claim names, created if there is none. A claim that names no eligible account ends on a page
/// that says why.
/// </summary>
internal static class SingleSignOnEndpoints
{
    public const string RefusedPath = "/account/sso/refused";

    public static IEndpointRouteBuilder MapSingleSignOnEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/account/sso", Start).AllowAnonymous();
        endpoints.MapGet("/account/sso/complete", CompleteAsync).AllowAnonymous();
        return endpoints;
    }

    private static Results<NotFound, ChallengeHttpResult> Start(IOptions<SingleSignOnOptions> options, PortalSignInManager signIn)
    {
        if (!options.Value.Enabled)
        {
            return TypedResults.NotFound();
        }

        var properties = signIn.ConfigureExternalAuthenticationProperties(SingleSignOnOptions.Scheme, "/account/sso/complete");
        return TypedResults.Challenge(properties, [SingleSignOnOptions.Scheme]);
    }

    // Every outcome is a redirect: on into the portal, to the second factor, or to the refusal page.
    private static async Task<RedirectHttpResult> CompleteAsync(
        HttpContext context, IOptions<SingleSignOnOptions> options, PortalSignInManager signIn, UserManager<PortalUser> users,
        LinuxAccountEligibility eligibility, AuditLog audit, CancellationToken cancellationToken)
    {
        ExternalLoginInfo? info = options.Value.Enabled ? await signIn.GetExternalLoginInfoAsync() : null;
        if (info is null)
        {
            return Refuse("failed");
        }

        await context.SignOutAsync(IdentityConstants.ExternalScheme);
        string subject = info.ProviderKey;
        SignInResult result = await signIn.ExternalLoginSignInAsync(info.LoginProvider, subject, isPersistent: false, bypassTwoFactor: false);
        PortalUser? bound = await users.FindByLoginAsync(info.LoginProvider, subject);
        if (bound is null)
        {
            (bound, string? code, string? detail, string? name) = await BindAsync(info, options.Value, users, eligibility, audit, cancellationToken);
            if (bound is null)
            {
                await audit.WriteAsync(AuditActions.LoginSingleSignOn, new AuditActor(null, name ?? subject), false, name,
                    $"subject {subject}: {detail}", cancellationToken);
                return Refuse(code!, name);
            }

            result = bound.IsDisabled ? SignInResult.NotAllowed : await signIn.SignInAfterPasswordAsync(bound, SingleSignOnOptions.Scheme);
        }

        var actor = new AuditActor(bound.Id, bound.UserName ?? subject);
        if (result.RequiresTwoFactor)
        {
            await audit.WriteAsync(AuditActions.LoginSingleSignOn, actor, true, bound.UserName, "second factor required", cancellationToken);
            return TypedResults.LocalRedirect("/account/login/second-factor");
        }

        if (!result.Succeeded)
        {
            string why = result.IsLockedOut ? "locked" : "disabled";
            await audit.WriteAsync(AuditActions.LoginSingleSignOn, actor, false, bound.UserName, why, cancellationToken);
            return Refuse(why, bound.UserName);
        }

        await audit.WriteAsync(AuditActions.LoginSingleSignOn, actor, true, bound.UserName, $"subject {subject}", cancellationToken);
        return TypedResults.LocalRedirect("/");
    }

    /// <summary>The account for a subject seen for the first time, bound to it; or why there is none.</summary>
    private static async Task<(PortalUser? User, string? Code, string? Detail, string? Name)> BindAsync(
        ExternalLoginInfo info, SingleSignOnOptions options, UserManager<PortalUser> users, LinuxAccountEligibility eligibility,
        AuditLog audit, CancellationToken cancellationToken)
    {
        string? claim = info.Principal.FindFirstValue(options.UserNameClaim);
        string? name = MapToLinuxName(claim, options.UserNameSuffix);
        if (name is null)
        {
            return (null, "no-name", $"claim {options.UserNameClaim}='{claim}' names no Linux account", null);
        }

        LinuxAccountCheck check = await eligibility.CheckAsync(name, options.JobGroup, options.PrivilegedGroups, cancellationToken);
        if (check.Account is not { } account)
        {
            return (null, "not-eligible", check.Error, name);
        }

        PortalUser? user = await users.Users.SingleOrDefaultAsync(u => u.LinuxUserName == account.Name, cancellationToken);
        if (user is not null && user.LinuxUid != account.Uid)
        {
            return (null, "uid-changed", $"uid {account.Uid}, bound {user.LinuxUid}", name);
        }

        if (user is null)
        {
            if (await users.FindByNameAsync(account.Name) is not null)
            {
                return (null, "name-taken", "the portal name belongs to an account bound elsewhere", name);
            }

            user = new PortalUser(account.Name);
            user.BindLinuxAccount(account.Name, account.Uid);
            IdentityResult created = await users.CreateAsync(user);
            if (created.Succeeded)
            {
                created = await users.AddToRoleAsync(user, Roles.User);
            }

            await audit.WriteAsync(AuditActions.UserCreatedBySignIn, new AuditActor(user.Id, account.Name), created.Succeeded, account.Name,
                $"single sign-on, linux={account.Name} uid={account.Uid}", cancellationToken);
            if (!created.Succeeded)
            {
                return (null, "create-failed", string.Join(" ", created.Errors.Select(e => e.Description)), name);
            }
        }

        IdentityResult added = await users.AddLoginAsync(user, new UserLoginInfo(info.LoginProvider, info.ProviderKey, options.DisplayName));
        await audit.WriteAsync(AuditActions.SingleSignOnBound, new AuditActor(user.Id, user.UserName ?? name), added.Succeeded, user.UserName,
            $"subject {info.ProviderKey} by claim {options.UserNameClaim}={name}", cancellationToken);
        return added.Succeeded ? (user, null, null, name) : (null, "create-failed", "AddLogin failed", name);
    }

    /// <summary>The claim's value as a Linux account name: the suffix removed (and required, when one is set), exact otherwise.</summary>
    internal static string? MapToLinuxName(string? claim, string suffix)
    {
        if (string.IsNullOrEmpty(claim))
        {
            return null;
        }

        if (suffix.Length > 0)
        {
            if (!claim.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }

            claim = claim[..^suffix.Length];
        }

        return Launcher.Protocol.LinuxUserName.IsValid(claim) ? claim : null;
    }

    /// <summary>To the refusal page with a reason code (never text: the page says the words) and the Linux name, if valid.</summary>
    private static RedirectHttpResult Refuse(string reason, string? name = null) =>
        TypedResults.LocalRedirect($"{RefusedPath}?reason={Uri.EscapeDataString(reason)}" + (name is null ? "" : $"&name={Uri.EscapeDataString(name)}"));
}
