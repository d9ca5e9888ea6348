using Microsoft.Extensions.Options;
using Portal.Core.Accounts;
using Portal.Launcher.Protocol;

namespace Portal.Web.Services.JobForms;

/// <summary>Turns the configured mount roots into the concrete folders one user may mount.</summary>
public sealed class MountRootResolver(IOptions<MountRootOptions> options, ILinuxAccountDirectory accounts)
{
    public async Task<IReadOnlyList<MountRoot>> ForAsync(string linuxUser, CancellationToken cancellationToken)
    {
        LinuxAccount? account = await accounts.FindByNameAsync(linuxUser, cancellationToken);
        var roots = new List<MountRoot>();
        IList<string> configured = options.Value.Roots.Count == 0 ? [MountRootOptions.HomePlaceholder] : options.Value.Roots;
        foreach (string entry in configured)
        {
            bool readOnly = entry.EndsWith(":ro", StringComparison.Ordinal);
            string path = readOnly ? entry[..^3] : entry;
            if (path == MountRootOptions.HomePlaceholder)
            {
                if (account is null)
                {
                    continue;
                }

                path = account.Home;
            }

            // "/srv/data/" and "/srv/data" are one folder; mount paths are compared without the trailing '/'.
            roots.Add(new MountRoot(path.Length > 1 ? path.TrimEnd('/') : path, readOnly));
        }

        return roots;
    }
}
