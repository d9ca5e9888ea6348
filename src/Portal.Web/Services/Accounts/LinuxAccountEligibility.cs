using Portal.Core.Processes;
using Portal.Launcher.Protocol;

namespace Portal.Web.Services.Accounts;

/// <summary>
/// Whether a Linux account named by an identity provider's claim may be bound: what an admin's binding checks (exact
/// name, uid at or above the minimum), plus what the launcher will demand of it before running any job (a member of the
/// policy's group, of no privileged group). A password sign-in needs none of this here: the launcher checks it itself.
/// </summary>
public sealed class LinuxAccountEligibility(LinuxAccountValidator accounts)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    public async Task<LinuxAccountCheck> CheckAsync(string name, string jobGroup, IEnumerable<string> extraPrivilegedGroups, CancellationToken cancellationToken)
    {
        LinuxAccountCheck check = await accounts.CheckAsync(name, cancellationToken);
        if (check.Account is null)
        {
            return check;
        }

        // id goes through NSS like the launcher's getgrouplist; the name was validated, so it cannot be an option or a uid.
        CommandResult groups = await ExternalCommand.RunAsync("id", ["-Gn", "--", name], Timeout, cancellationToken);
        if (!groups.Succeeded)
        {
            return LinuxAccountCheck.Refused($"The groups of '{name}' could not be read: {groups.Message}");
        }

        HashSet<string> memberOf = [.. groups.StandardOutput.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        if (!memberOf.Contains(jobGroup))
        {
            return LinuxAccountCheck.Refused($"The Linux account '{name}' is not a member of the group '{jobGroup}', whose members may use the portal.");
        }

        if (AccountRules.BuiltInPrivilegedGroups.Concat(extraPrivilegedGroups).FirstOrDefault(memberOf.Contains) is { } privileged)
        {
            return LinuxAccountCheck.Refused($"The Linux account '{name}' is a member of the privileged group '{privileged}'; the portal serves no such account.");
        }

        return check;
    }
}
