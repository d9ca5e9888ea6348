using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Components;
using Portal.Data.Entities;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;

namespace Portal.Web.Components.Pages.Account;

public partial class Login
{
    protected override void OnInitialized() => Input ??= new();

    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "login")]
    private LoginInput Input { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "passkey-login")]
    private string? CredentialJson { get; set; }

    [SupplyParameterFromQuery]
    private string? ReturnUrl { get; set; }

    private string? _error;

    private async Task SignInAsync()
    {
        string? address = HttpContext.Connection.RemoteIpAddress?.ToString();
        LoginResult result = await Logins.SignInAsync(Input.UserName, Input.Password, address, HttpContext.RequestAborted);
        switch (result.Outcome)
        {
            case LoginOutcome.SignedIn:
                Navigation.NavigateTo(SafeReturnUrl(ReturnUrl), forceLoad: true);
                break;
            case LoginOutcome.MustChangePassword:
                Navigation.NavigateTo("/account/change-password", forceLoad: true);
                break;
            case LoginOutcome.RequiresSecondFactor:
                Navigation.NavigateTo("/account/login/second-factor?returnUrl=" + Uri.EscapeDataString(SafeReturnUrl(ReturnUrl)), forceLoad: true);
                break;
            case LoginOutcome.Throttled:
                _error = $"Too many failed attempts from your address: wait {Math.Ceiling(result.RetryAfter?.TotalMinutes ?? 1)} minute(s), then try again.";
                break;
            case LoginOutcome.LockedOut:
                _error = "Too many wrong second factors: this account is locked for a while. Try again later or ask an admin.";
                break;
            case LoginOutcome.Disabled:
                _error = "This account is disabled. Ask an admin.";
                break;
            case LoginOutcome.Refused:
                _error = result.Message;
                break;
            default:
                _error = "Wrong user name or password.";
                break;
        }
    }

    private async Task PasskeyAsync()
    {
        if (string.IsNullOrEmpty(CredentialJson))
        {
            _error = "The browser sent no passkey.";
            return;
        }

        (Microsoft.AspNetCore.Identity.SignInResult result, PortalUser? user) = await SignIn.PasskeySignInWithUserAsync(CredentialJson);
        await Audit.WriteAsync(AuditActions.LoginPasskey, new AuditActor(user?.Id, user?.UserName ?? "(unknown passkey)"), result.Succeeded, user?.UserName,
            result.Succeeded ? null : result.IsNotAllowed ? "account disabled" : result.IsLockedOut ? "locked out" : "unknown or invalid passkey",
            HttpContext.RequestAborted);
        if (result.Succeeded)
        {
            Navigation.NavigateTo(SafeReturnUrl(ReturnUrl), forceLoad: true);
            return;
        }

        _error = result.IsNotAllowed ? "This account is disabled. Ask an admin." : "That passkey did not sign you in.";
    }

    // Only paths on this site: an absolute URL here would be an open redirect.
    internal static string SafeReturnUrl(string? url) =>
        !string.IsNullOrEmpty(url) && url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            ? url
            : "/";

    private sealed class LoginInput
    {
        [Required(ErrorMessage = "Enter your user name.")]
        [StringLength(256)]
        public string UserName { get; set; } = "";

        [Required(ErrorMessage = "Enter your password.")]
        [StringLength(256)]
        public string Password { get; set; } = "";
    }
}
