using Portal.Launcher.Native;
using Portal.Launcher.Policy;

namespace Portal.Launcher.Podman;

/// <summary>
/// Keeps the generated podman configuration in <c>&lt;stateDir&gt;/podman</c>: root's directory and files (0755,
/// 0644), rewritten (atomically, by rename) only when the policy's text differs from what is there.
/// </summary>
internal static class PodmanConfigFiles
{
    private static readonly string[] RuntimeDirectories = ["/usr/bin/", "/usr/sbin/", "/usr/local/bin/", "/usr/local/sbin/"];

    /// <summary>Writes what differs and returns the directory.</summary>
    public static string Ensure(LauncherPolicy policy, uint trustedOwner)
    {
        // The state directory's other entries (device grants) stay private: 0711 lets podman reach this one only.
        RuntimeDirectory.EnsureRootDir(policy.StateDir, 0x1C9 /* 0711 */, trustedOwner, exactMode: true);
        string dir = policy.StateDir + "/podman";
        RuntimeDirectory.EnsureRootDir(dir, 0x1ED /* 0755 */, trustedOwner, exactMode: true);

        string runtime = ResolveRuntime(policy.Runtime, trustedOwner);
        bool seccomp = File.Exists(PodmanConfig.SeccompProfile);
        bool nativeOverlay = PodmanConfig.KernelHasRootlessOverlay(TextFiles.ReadAll("/proc/sys/kernel/osrelease").Trim());
        Replace(dir + "/containers.conf", PodmanConfig.Containers(policy, runtime, seccomp), trustedOwner);
        Replace(dir + "/storage.conf", PodmanConfig.Storage(policy, nativeOverlay), trustedOwner);
        Replace(dir + "/registries.conf", PodmanConfig.Registries(policy), trustedOwner);
        Replace(dir + "/mounts.conf", "", trustedOwner);
        return dir;
    }

    /// <summary>runc or crun by name: the first of the usual root directories that has it, and root's; a path as given.</summary>
    public static string ResolveRuntime(string runtime, uint trustedOwner)
    {
        string path = Path.IsPathFullyQualified(runtime)
            ? runtime
            : RuntimeDirectories.Select(d => d + runtime).FirstOrDefault(File.Exists)
                ?? throw new UnsafeFileException($"The runtime {runtime} is in none of /usr/bin, /usr/sbin, /usr/local/bin, /usr/local/sbin.");
        SafeFiles.CheckTrustedExecutable(path, trustedOwner);
        return path;
    }

    private static void Replace(string path, string text, uint trustedOwner)
    {
        byte[] wanted = System.Text.Encoding.UTF8.GetBytes(text);
        try
        {
            if (SafeFiles.ReadTrusted(path, trustedOwner, 64 * 1024).AsSpan().SequenceEqual(wanted))
            {
                return;
            }
        }
        catch (UnsafeFileException)
        {
            // Missing, or not a file only root could have written: replaced below.
        }

        // Only root writes in this directory, so a plain temporary name cannot be planted by anyone else.
        string temporary = path + "." + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        File.WriteAllBytes(temporary, wanted);
        File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.Move(temporary, path, overwrite: true);
    }
}
