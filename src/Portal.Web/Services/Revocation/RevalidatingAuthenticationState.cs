using System.Security.Claims;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Portal.Data.Entities;

namespace Portal.Web.Services.Revocation;

/// <summary>
/// A circuit's authentication state. When the user's sessions are revoked (disabled, password reset, role removed) it
/// becomes anonymous at once: the router then renders the sign-in redirect instead of the page, which disposes the page
/// and ends whatever it was streaming, and the browser reloads into the sign-in page, ending the circuit. Every minute it
/// also checks the security stamp, for changes made by another portal process.
/// </summary>
internal sealed class RevalidatingAuthenticationState : RevalidatingServerAuthenticationStateProvider
{
    private static readonly Task<AuthenticationState> Anonymous = Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity())));

    private readonly IServiceScopeFactory _scopes;
    private readonly SessionRevocations _revocations;
    private readonly IOptions<IdentityOptions> _identity;
    private Guid? _userId;

    public RevalidatingAuthenticationState(ILoggerFactory loggers, IServiceScopeFactory scopes, SessionRevocations revocations, IOptions<IdentityOptions> identity)
        : base(loggers)
    {
        _scopes = scopes;
        _revocations = revocations;
        _identity = identity;
        AuthenticationStateChanged += OnChanged;
        _revocations.Revoked += OnRevoked;
    }

    protected override TimeSpan RevalidationInterval => TimeSpan.FromMinutes(1);

    protected override async Task<bool> ValidateAuthenticationStateAsync(AuthenticationState authenticationState, CancellationToken cancellationToken)
    {
        await using AsyncServiceScope scope = _scopes.CreateAsyncScope();
        UserManager<PortalUser> users = scope.ServiceProvider.GetRequiredService<UserManager<PortalUser>>();
        PortalUser? user = await users.GetUserAsync(authenticationState.User);
        if (user is null || user.IsDisabled)
        {
            return false;
        }

        string? stamp = authenticationState.User.FindFirstValue(_identity.Value.ClaimsIdentity.SecurityStampClaimType);
        return !users.SupportsUserSecurityStamp || stamp == await users.GetSecurityStampAsync(user);
    }

    protected override void Dispose(bool disposing)
    {
        _revocations.Revoked -= OnRevoked;
        AuthenticationStateChanged -= OnChanged;
        base.Dispose(disposing);
    }

    private void OnChanged(Task<AuthenticationState> state) => _ = RememberAsync(state);

    /// <summary>Whose circuit this is, kept so that a revocation finds it without awaiting anything.</summary>
    private async Task RememberAsync(Task<AuthenticationState> state)
    {
        ClaimsPrincipal user = (await state).User;
        _userId = Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out Guid id) ? id : null;
    }

    private void OnRevoked(Guid userId)
    {
        if (_userId == userId)
        {
            _userId = null;
            SetAuthenticationState(Anonymous);
        }
    }
}
