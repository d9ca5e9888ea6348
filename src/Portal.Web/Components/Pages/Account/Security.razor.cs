using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Identity;
using Portal.Data.Entities;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;

namespace Portal.Web.Components.Pages.Account;

public partial class Security
{
    private const string Issuer = "GPU box portal";

    [CascadingParameter]
    private HttpContext HttpContext { get; set; } = default!;

    [SupplyParameterFromForm(FormName = "totp-verify")]
    private string? TotpCode { get; set; }

    [SupplyParameterFromForm(FormName = "passkey-add")]
    private string? CredentialJson { get; set; }

    [SupplyParameterFromForm(FormName = "passkey-remove")]
    private string? RemoveId { get; set; }

    private PortalUser _user = default!;
    private bool _totpEnabled;
    private bool _mustEnroll;
    private int _recoveryLeft;
    private string? _key;
    private string? _uri;
    private IList<UserPasskeyInfo> _passkeys = [];
    private IEnumerable<string>? _recoveryCodes;
    private string? _message;
    private string? _error;

    protected override async Task OnInitializedAsync()
    {
        _user = await Users.GetUserAsync(HttpContext.User) ?? throw new InvalidOperationException("Signed in without an account.");
        await LoadAsync();
    }

    private async Task LoadAsync()
    {
        _totpEnabled = await Users.GetTwoFactorEnabledAsync(_user) && await Users.GetAuthenticatorKeyAsync(_user) is not null;
        _recoveryLeft = await Users.CountRecoveryCodesAsync(_user);
        _key = _totpEnabled ? null : await Users.GetAuthenticatorKeyAsync(_user);
        _uri = _key is null ? null
            : $"otpauth://totp/{UrlEncoder.Default.Encode(Issuer)}:{UrlEncoder.Default.Encode(_user.UserName ?? "")}?secret={_key}&issuer={UrlEncoder.Default.Encode(Issuer)}&digits=6";
        _passkeys = await Users.GetPasskeysAsync(_user);
        _mustEnroll = await Requirement.MustEnrollAsync(_user);
    }

    private async Task StartTotpAsync()
    {
        // A new key changes the security stamp: this session's cookie is issued again, or the next request ends it.
        await Users.ResetAuthenticatorKeyAsync(_user);
        await SignIn.RefreshSignInAsync(_user);
        await LoadAsync();
    }

    private async Task VerifyTotpAsync()
    {
        string code = (TotpCode ?? "").Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
        bool valid = await Users.VerifyTwoFactorTokenAsync(_user, Users.Options.Tokens.AuthenticatorTokenProvider, code);
        await Audit.WriteAsync(AuditActions.SecondFactorChanged, Actor(), valid, _user.UserName, valid ? "authenticator on" : "wrong code while turning the authenticator on");
        if (!valid)
        {
            _error = "That code is not right; check the app's clock and try the next code.";
            await LoadAsync();
            return;
        }

        await Users.SetTwoFactorEnabledAsync(_user, true);
        _recoveryCodes = await Users.GenerateNewTwoFactorRecoveryCodesAsync(_user, 10);
        _message = "The authenticator app is on: it is asked for after your password.";
        await ChangedAsync();
    }

    private async Task NewRecoveryCodesAsync()
    {
        _recoveryCodes = await Users.GenerateNewTwoFactorRecoveryCodesAsync(_user, 10);
        await Audit.WriteAsync(AuditActions.SecondFactorChanged, Actor(), true, _user.UserName, "new recovery codes");
        await SignIn.RefreshSignInAsync(_user);
        await LoadAsync();
    }

    private async Task DisableTotpAsync()
    {
        await Users.SetTwoFactorEnabledAsync(_user, false);
        await Users.ResetAuthenticatorKeyAsync(_user);
        await Users.RemoveAuthenticationTokenAsync(_user, "[AspNetUserStore]", "AuthenticatorKey");
        await Audit.WriteAsync(AuditActions.SecondFactorChanged, Actor(), true, _user.UserName, "authenticator off");
        _message = "The authenticator app is off.";
        await ChangedAsync();
    }

    private async Task AddPasskeyAsync()
    {
        PasskeyAttestationResult attestation = string.IsNullOrEmpty(CredentialJson)
            ? PasskeyAttestationResult.Fail(new PasskeyException("The browser sent no passkey."))
            : await SignIn.PerformPasskeyAttestationAsync(CredentialJson);
        IdentityResult added = attestation.Succeeded ? await Users.AddOrUpdatePasskeyAsync(_user, attestation.Passkey) : IdentityResult.Failed();
        string? problem = attestation.Succeeded ? (added.Succeeded ? null : "could not be stored") : attestation.Failure.Message;
        await Audit.WriteAsync(AuditActions.PasskeyChanged, Actor(), problem is null, _user.UserName, problem ?? "passkey added");
        if (problem is not null)
        {
            _error = "The passkey was not added: " + problem;
            await LoadAsync();
            return;
        }

        _message = "Passkey added.";
        await ChangedAsync();
    }

    private async Task RemovePasskeyAsync()
    {
        byte[]? id = FromBase64Url(RemoveId);
        IdentityResult removed = id is null ? IdentityResult.Failed() : await Users.RemovePasskeyAsync(_user, id);
        await Audit.WriteAsync(AuditActions.PasskeyChanged, Actor(), removed.Succeeded, _user.UserName, "passkey removed");
        _message = removed.Succeeded ? "Passkey removed." : null;
        await ChangedAsync();
    }

    /// <summary>A second factor came or went: the session's claims (the enrollment requirement) are issued again.</summary>
    private async Task ChangedAsync()
    {
        await Users.UpdateSecurityStampAsync(_user);
        await SignIn.RefreshSignInAsync(_user);
        await LoadAsync();
        if (!_mustEnroll && _message is not null && HttpContext.User.HasClaim(PortalClaimsPrincipalFactory.MustEnrollSecondFactorClaim, "true") && _recoveryCodes is null)
        {
            Navigation.NavigateTo("/", forceLoad: true);
        }
    }

    private AuditActor Actor() => new(_user.Id, _user.UserName ?? "?");

    private static string FormatKey(string key) =>
        string.Join(' ', Enumerable.Range(0, (key.Length + 3) / 4).Select(i => key.Substring(i * 4, Math.Min(4, key.Length - (i * 4))))).ToLowerInvariant();

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[]? FromBase64Url(string? text)
    {
        if (string.IsNullOrEmpty(text) || text.Length > 2048)
        {
            return null;
        }

        string padded = text.Replace('-', '+').Replace('_', '/');
        padded += new string('=', (4 - (padded.Length % 4)) % 4);
        try
        {
            return Convert.FromBase64String(padded);
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
