using Microsoft.Extensions.Options;
using Portal.Core.Accounts;
using Portal.Launcher.Protocol;
using Portal.Web.Configuration;

namespace Portal.Web.Services.Accounts;

/// <summary>The result of checking a Linux account for binding: the account, or why it cannot be bound.</summary>
public sealed record LinuxAccountCheck(LinuxAccount? Account, string? Error)
{
    public static LinuxAccountCheck Refused(string error) => new(null, error);
}

/// <summary>Decides whether a Linux account may be bound to a portal user.</summary>
public sealed class LinuxAccountValidator(ILinuxAccountDirectory directory, IOptions<PortalOptions> options)
{
    /// <summary>The kernel's overflow UID: "nobody" owns files of unmapped users and must never run jobs.</summary>
    private const uint OverflowUid = 65534;

    public async Task<LinuxAccountCheck> CheckAsync(string? name, CancellationToken cancellationToken)
    {
        if (LinuxUserName.Validate(name) is { } invalid)
        {
            return LinuxAccountCheck.Refused(invalid);
        }

        LinuxAccount? account = await directory.FindByNameAsync(name!, cancellationToken);
        if (account is null)
        {
            return LinuxAccountCheck.Refused(
                $"There is no Linux account named '{name}' on this host. Create it first with the system's own tools (useradd), and give it a subuid/subgid range (usermod --add-subuids).");
        }

        // NSS may normalise names (case, aliases); the account must be exactly the one asked for.
        if (!string.Equals(account.Name, name, StringComparison.Ordinal))
        {
            return LinuxAccountCheck.Refused($"The host returned the account '{account.Name}' for '{name}'; names must match exactly.");
        }

        int minimumUid = options.Value.MinimumUid;
        if (account.Uid < minimumUid)
        {
            return LinuxAccountCheck.Refused(
                $"'{name}' has UID {account.Uid}, a system account; only accounts with UID {minimumUid} or above can run jobs.");
        }

        if (account.Uid == OverflowUid)
        {
            return LinuxAccountCheck.Refused($"'{name}' has the overflow UID {OverflowUid} (nobody) and cannot run jobs.");
        }

        return new LinuxAccountCheck(account, null);
    }
}
