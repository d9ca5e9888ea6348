using System.Text;
using Portal.Launcher.Native;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Verbs;

/// <summary>
/// The app's /etc/hosts: every service name on 127.0.0.1, mounted read-only into each container. Needed because a pod
/// created with --network none silently drops --add-host, and a container in a pod may not set its own. Written after
/// the drop, as the user, in the user's runtime directory; it lives as long as the app (removed by app-remove).
/// </summary>
internal static unsafe class HostsFile
{
    public static string PathFor(string directory, string job) => Path.Combine(directory, $"portal-app-{job}.hosts");

    public static string Write(string directory, string job, IEnumerable<string> services)
    {
        string path = PathFor(directory, job);

        // A file left by an app-up that died: unlink never follows a symlink, and O_EXCL below refuses one planted meanwhile.
        Delete(path);
        string text = "127.0.0.1\tlocalhost " + string.Join(' ', services) + "\n::1\tlocalhost\n";
        int fd = SafeFiles.WithPath(path, p => open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0x1A4));
        if (fd < 0)
        {
            throw new IOException($"Cannot create the hosts file {path} (errno {errno}).");
        }

        try
        {
            SafeFiles.WriteAll(fd, Encoding.ASCII.GetBytes(text));
        }
        finally
        {
            _ = close(fd);
        }

        return path;
    }

    public static void Delete(string path)
    {
        if (SafeFiles.WithPath(path, p => unlink(p)) < 0 && errno != ENOENT)
        {
            throw new IOException($"Cannot remove {path} (errno {errno}).");
        }
    }
}
