using Portal.Launcher.Protocol;

namespace Portal.Launcher.Client;

/// <summary>
/// Checks a Linux account's password through the launcher's <c>authenticate</c> verb: PAM in the launcher's root side,
/// the password only on its stdin. Kept apart from <see cref="ILauncher"/>: sign-in is the one call made for someone
/// not yet known to the portal.
/// </summary>
public interface ILinuxPasswordCheck
{
    /// <summary>The account when the password is right and the account may use the portal; otherwise why not.</summary>
    /// <exception cref="LauncherException">The launcher could not answer (not installed, dev mode, broken policy).</exception>
    Task<LinuxPasswordResult> CheckAsync(string user, string password, string? remoteAddress, CancellationToken cancellationToken = default);
}

/// <summary>A password check's answer: <see cref="Account"/> when accepted, else the launcher's sentence.</summary>
public sealed record LinuxPasswordResult(AuthenticatedAccount? Account, string? Refusal)
{
    public bool Accepted => Account is not null;
}
