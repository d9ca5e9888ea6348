using Portal.Launcher.Protocol;

namespace Portal.Launcher.Client;

public sealed partial class ProcessLauncher : ILinuxPasswordCheck
{
    public async Task<LinuxPasswordResult> CheckAsync(string user, string password, string? remoteAddress, CancellationToken cancellationToken = default)
    {
        using Password secret = Password.FromString(password);
        LauncherRequest request = Request(LauncherVerbs.Authenticate, user) with
        {
            Authenticate = new AuthenticateSpec { Password = secret, RemoteAddress = remoteAddress },
        };
        try
        {
            LauncherResponse response = await CallAsync(request, cancellationToken);
            return response.Authenticated is { } account
                ? new LinuxPasswordResult(account, null)
                : throw new LauncherException(LauncherFailure.Internal, "The launcher accepted the password but named no account.", 0, "");
        }
        catch (LauncherException e) when (e.Failure == LauncherFailure.Refused && e.ExitCode == LauncherExitCodes.Refused && !IsSetupProblem(e.Message))
        {
            return new LinuxPasswordResult(null, e.Message);
        }
    }

    /// <summary>A dev-mode launcher refuses the verb itself: that is a host fact for the admin, not a wrong password.</summary>
    private static bool IsSetupProblem(string message) => message.Contains("/etc/shadow", StringComparison.Ordinal);
}
