using Portal.Launcher.Native;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Validation;

/// <summary>
/// Checks bind mounts against the policy's roots, on the file system, after the privilege drop (so
/// root never resolves a path the user controls). A rootless bind mount can only expose what the user
/// can already read, so this enforces the policy's scope, not a privilege boundary; symlinks are
/// refused anyway so that the path the admin reads in the audit log is the one mounted.
/// </summary>
internal static class MountChecker
{
    public static List<(string Source, string Target, bool ReadOnly)> Check(IReadOnlyList<MountSpec>? mounts, LauncherPolicy policy, UserAccount user)
    {
        var result = new List<(string, string, bool)>();
        MountRoot[] roots = [.. policy.MountRoots.Select(r => r.For(user.Home)).OfType<MountRoot>()];
        foreach (MountSpec mount in mounts ?? [])
        {
            MountRoot root = MountRoot.Holding(roots, mount.Source)
                ?? throw new RequestRefusedException($"Mount source '{mount.Source}' is outside the allowed mount roots.");

            string walked = "";
            foreach (string segment in mount.Source[1..].Split('/'))
            {
                walked += "/" + segment;
                if (SafeFiles.StatPath(walked, follow: false, out stat st) < 0)
                {
                    RequestValidator.Refuse($"Mount source '{mount.Source}': '{walked}' is not accessible (errno {errno}).");
                }

                if ((st.st_mode & S_IFMT) == S_IFLNK)
                {
                    RequestValidator.Refuse($"Mount source '{mount.Source}': '{walked}' is a symlink.");
                }
            }

            result.Add((mount.Source, mount.Target, mount.ReadOnly || root.ReadOnly));
        }

        return result;
    }
}
