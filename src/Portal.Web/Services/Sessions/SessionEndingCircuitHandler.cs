using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;

namespace Portal.Web.Services.Sessions;

/// <summary>
/// Ends a circuit whose user is signed out under it (revoked, or found stale by <see cref="RevalidatingAuthenticationState"/>):
/// the browser is sent to the sign-in page with a full load, which closes the circuit and disposes its components, and
/// with them every live view and log stream they ran.
/// </summary>
internal sealed class SessionEndingCircuitHandler(AuthenticationStateProvider authentication, NavigationManager navigation) : CircuitHandler
{
    public override Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        authentication.AuthenticationStateChanged += OnChanged;
        return Task.CompletedTask;
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        authentication.AuthenticationStateChanged -= OnChanged;
        return Task.CompletedTask;
    }

    private void OnChanged(Task<AuthenticationState> state) => _ = LeaveIfSignedOutAsync(state);

    private async Task LeaveIfSignedOutAsync(Task<AuthenticationState> state)
    {
        if ((await state).User.Identity?.IsAuthenticated != true)
        {
            navigation.NavigateTo("/account/login", forceLoad: true);
        }
    }
}
