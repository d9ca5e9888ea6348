using Portal.Launcher.Native;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Validation;

/// <summary>Turns a validated user name into the account the launcher may act as, or refuses.</summary>
internal static class UserResolver
{
    /// <param name="name">The requested name (already matched the strict pattern).</param>
    /// <param name="policy">Minimum uid and group.</param>
    /// <param name="callerUid">In dev mode the only uid the launcher may act as; null when privileged.</param>
    /// <param name="findUser">The user database (a seam for tests of answers NSS rarely gives).</param>
    /// <param name="findGroupId">The group database.</param>
    public static UserAccount Resolve(string name, LauncherPolicy policy, uint? callerUid,
        Func<string, UserAccount?> findUser, Func<string, uint?> findGroupId)
    {
        if (LinuxUserName.Validate(name) is { } problem)
        {
            RequestValidator.Refuse(problem);
        }

        UserAccount account = findUser(name) ?? throw new RequestRefusedException($"No such user '{name}'.");

        // NSS back ends may match case-insensitively or by alias; act only on the exact account asked for.
        if (!string.Equals(account.Name, name, StringComparison.Ordinal))
        {
            RequestValidator.Refuse($"The system returned account '{UntrustedText.Printable(account.Name)}' for '{name}'; refusing a name that is not exact.");
        }

        if (account.Uid == 0 || account.Gid == 0)
        {
            RequestValidator.Refuse($"'{name}' is root (uid or gid 0).");
        }

        if (account.Uid < policy.MinUid)
        {
            RequestValidator.Refuse($"'{name}' has uid {account.Uid}, below the policy minimum {policy.MinUid} (a system account).");
        }

        uint groupId = findGroupId(policy.Group) ?? throw new RequestRefusedException($"The policy group '{policy.Group}' does not exist.");
        if (!account.Groups.Contains(groupId))
        {
            RequestValidator.Refuse($"'{name}' is not a member of the group '{policy.Group}'.");
        }

        if (account.Groups.Contains(0u))
        {
            RequestValidator.Refuse($"'{name}' is a member of group 0.");
        }

        if (callerUid is { } caller && caller != account.Uid)
        {
            RequestValidator.Refuse($"Without privileges the launcher acts only as its caller (uid {caller}), not as '{name}'.");
        }

        // Members of these can become root or read secrets (sudo, docker, disk, shadow, ...): the portal serves none of
        // them. Not asked in dev mode, where the launcher acts only as its own caller and so hands out nothing the
        // caller does not hold already; refusing there would only shut a developer in the sudo group out of the
        // single-user portal.
        if (callerUid is null)
        {
            foreach (string privileged in policy.AllPrivilegedGroups)
            {
                if (findGroupId(privileged) is { } privilegedId && account.Groups.Contains(privilegedId))
                {
                    RequestValidator.Refuse($"'{name}' is a member of the privileged group '{privileged}'; the portal never acts as such an account.");
                }
            }
        }

        if (!Path.IsPathFullyQualified(account.Home))
        {
            RequestValidator.Refuse($"'{name}' has no absolute home directory.");
        }

        // The home is mounted into jobs and the launcher enters it: "/" or a system folder would hand out the host.
        string home = account.Home.TrimEnd('/');
        if (!PathRules.IsMountPath(home) || !policy.HomeRoots.Any(root => home != root && PathRules.IsUnder(home, root)))
        {
            RequestValidator.Refuse($"'{name}' has the home '{UntrustedText.Printable(account.Home)}', which is not below the policy's home roots ({string.Join(", ", policy.HomeRoots)}).");
        }

        return account;
    }
}
