using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.JSInterop;

namespace Portal.Web.Services.Revocation;

/// <summary>
/// Ends a circuit whose user is signed out under it (revoked, or found stale by <see cref="RevalidatingAuthenticationState"/>):
/// the browser is sent to the sign-in page with a full load, which closes the circuit and disposes its components, and
/// with them every live view and log stream they ran.
/// </summary>
internal sealed class SessionEndingCircuitHandler(AuthenticationStateProvider authentication, IJSRuntime js) : CircuitHandler
{
    public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        authentication.AuthenticationStateChanged += OnChanged;
        // Revoked between the page's load and its circuit: the circuit's own connection was already signed out.
        await LeaveIfSignedOutAsync(authentication.GetAuthenticationStateAsync());
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
            // Through the browser's own script: this runs on the revoking request's thread, not the circuit's.
            try
            {
                await js.InvokeVoidAsync("portalSignedOut");
            }
            catch (Exception e) when (e is JSException or JSDisconnectedException or InvalidOperationException or TaskCanceledException)
            {
                // The browser is gone already; the circuit ends with it.
            }
        }
    }
}
