using System.Text.RegularExpressions;
using Portal.Core.Processes;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;

namespace Portal.Web.Services.Admin;

/// <summary>
/// Which bound Linux accounts are outside the launcher policy's job group, so the admin page that binds them can say
/// so at once instead of the account's first job failing. The group is the one the launcher reports in its check;
/// membership is what NSS says (<c>id -nG</c>), as the launcher sees it.
/// </summary>
public sealed partial class JobGroupMembership(ILauncher launcher)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The policy's job group, or null when the launcher cannot say (not installed, no policy).</summary>
    public async Task<string?> JobGroupAsync(CancellationToken cancellationToken)
    {
        try
        {
            IReadOnlyList<CheckItem> items = await launcher.CheckAsync(null, cancellationToken);
            return items.FirstOrDefault(i => i.Name == "policy") is { } policy && PolicyGroup().Match(policy.Detail) is { Success: true } m
                ? m.Groups["group"].Value
                : null;
        }
        catch (LauncherException)
        {
            return null;
        }
    }

    /// <summary>The names among <paramref name="accounts"/> that are not in <paramref name="group"/>.</summary>
    public static async Task<IReadOnlySet<string>> OutsideAsync(string group, IEnumerable<string> accounts, CancellationToken cancellationToken)
    {
        var outside = new HashSet<string>(StringComparer.Ordinal);
        foreach (string account in accounts.Distinct(StringComparer.Ordinal).Where(LinuxUserName.IsValid))
        {
            CommandResult groups = await ExternalCommand.RunAsync("id", ["-nG", "--", account], Timeout, cancellationToken);
            if (!groups.Succeeded || !groups.StandardOutput.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Contains(group, StringComparer.Ordinal))
            {
                outside.Add(account);
            }
        }

        return outside;
    }

    /// <summary>The launcher's "policy" check item: "PATH: group NAME, minUid N, runtime R".</summary>
    [GeneratedRegex(@": group (?<group>[^\s,]+),")]
    private static partial Regex PolicyGroup();
}
