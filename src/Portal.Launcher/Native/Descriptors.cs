using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>Keeps descriptors inherited from the caller away from podman and the job.</summary>
internal static class Descriptors
{
    /// <summary>
    /// Marks every descriptor above stderr close-on-exec. The runtime's own descriptors already are;
    /// inherited ones (a dev-mode caller's sockets, a leaked pipe) are not, and would otherwise reach
    /// podman, conmon and the container.
    /// </summary>
    public static void CloseOnExecAboveStderr()
    {
        foreach (string entry in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            if (int.TryParse(Path.GetFileName(entry), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int fd) && fd > 2)
            {
                int flags = fcntl(fd, F_GETFD);
                if (flags >= 0 && (flags & FD_CLOEXEC) == 0)
                {
                    _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
                }
            }
        }
    }
}
