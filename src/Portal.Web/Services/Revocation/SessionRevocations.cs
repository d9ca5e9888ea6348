using System.Collections.Concurrent;

namespace Portal.Web.Services.Revocation;

/// <summary>
/// Tells everything a user has open that it must end now: their Blazor circuits (through
/// <see cref="RevalidatingAuthenticationState"/>) and their running streams (a log download, an API log stream), which
/// each take <see cref="TokenFor"/> into their cancellation. Cookies and API tokens end through the security stamp and
/// the token table; this ends what was already running when the user was disabled, reset or demoted.
/// </summary>
public sealed class SessionRevocations
{
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _running = new();

    /// <summary>Raised with the user's id when their sessions are revoked.</summary>
    public event Action<Guid>? Revoked;

    /// <summary>A token cancelled when <paramref name="userId"/>'s sessions are next revoked.</summary>
    public CancellationToken TokenFor(Guid userId) => _running.GetOrAdd(userId, _ => new CancellationTokenSource()).Token;

    public void Revoke(Guid userId)
    {
        if (_running.TryRemove(userId, out CancellationTokenSource? running))
        {
            running.Cancel();
            running.Dispose();
        }

        Revoked?.Invoke(userId);
    }
}
