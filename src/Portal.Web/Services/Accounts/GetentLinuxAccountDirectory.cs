using System.Globalization;
using Portal.Core.Accounts;
using Portal.Core.Processes;
using Portal.Launcher.Protocol;

namespace Portal.Web.Services.Accounts;

/// <summary>
/// Looks accounts up with getent, which goes through NSS: accounts from LDAP or SSSD are found too,
/// exactly as the launcher will find them.
/// </summary>
internal sealed class GetentLinuxAccountDirectory : ILinuxAccountDirectory
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public async Task<LinuxAccount?> FindByNameAsync(string name, CancellationToken cancellationToken)
    {
        // Never hand getent something it could read as an option or a numeric UID.
        if (!LinuxUserName.IsValid(name))
        {
            return null;
        }

        CommandResult result = await ExternalCommand.RunAsync("getent", ["passwd", "--", name], Timeout, cancellationToken);
        if (result.ExitCode == 2)
        {
            return null;
        }

        if (!result.Succeeded)
        {
            throw new InvalidOperationException($"getent passwd failed: {result.Message}");
        }

        return Parse(result.StandardOutput);
    }

    /// <summary>Parses one passwd line: name:password:uid:gid:gecos:home:shell.</summary>
    internal static LinuxAccount? Parse(string line)
    {
        string[] fields = line.TrimEnd('\n').Split(':');
        if (fields.Length != 7
            || !uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out uint uid)
            || !uint.TryParse(fields[3], NumberStyles.None, CultureInfo.InvariantCulture, out uint gid))
        {
            return null;
        }

        return new LinuxAccount(fields[0], uid, gid, fields[5]);
    }
}
