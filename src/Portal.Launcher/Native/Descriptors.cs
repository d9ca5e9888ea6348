using static Portal.Launcher.Native.Glibc;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>Keeps descriptors inherited from the caller away from podman and the job.</summary>
internal static unsafe class Descriptors
{
    /// <summary>
    /// Opens /dev/null on any of stdin/stdout/stderr the caller closed. Otherwise the next file the
    /// launcher opens (the policy, the audit log) would take that number, and a result written to
    /// "stdout" would land in it.
    /// </summary>
    public static void EnsureStdio()
    {
        for (int fd = 0; fd <= 2; fd++)
        {
            int flags = fcntl(fd, F_GETFD);
            if (flags >= 0 && (flags & FD_CLOEXEC) != 0)
            {
                // Inherited stdio is never close-on-exec: this descriptor is one the runtime opened
                // into a gap the caller left. Output cannot be trusted to go anywhere sensible.
                Environment.Exit(Protocol.LauncherExitCodes.InternalError);
            }

            if (flags >= 0)
            {
                continue;
            }

            int opened = SafeFiles.WithPath("/dev/null", p => open(p, O_RDWR));
            if (opened < 0)
            {
                Environment.Exit(Protocol.LauncherExitCodes.InternalError);
            }

            if (opened != fd)
            {
                _ = dup2(opened, fd);
                _ = close(opened);
            }
        }
    }

    /// <summary>
    /// Marks every descriptor above stderr close-on-exec. The runtime's own descriptors already are;
    /// inherited ones (a dev-mode caller's sockets, a leaked pipe) are not, and would otherwise reach
    /// podman, conmon and the container.
    /// </summary>
    public static void CloseOnExecAboveStderr()
    {
        // One system call on Linux 5.11+ (glibc 2.34+); older kernels walk /proc/self/fd.
        if (close_range(3, uint.MaxValue, CLOSE_RANGE_CLOEXEC) == 0)
        {
            return;
        }

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
