using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>pidfd_send_signal(2), for <c>kill-gpu-process</c>: a signal through a pidfd (<see cref="pidfd_open"/>) reaches
/// the one process the pidfd names, never a later one with the same pid.</summary>
internal static partial class Glibc
{
    /// <summary>The same number on every architecture (the unified syscall table, Linux 5.1).</summary>
    public const int SYS_pidfd_send_signal = 424;

    /// <summary>Through syscall(2), as <see cref="pidfd_open"/> and for the same reason.</summary>
    public static int pidfd_send_signal(int pidfd, int sig) => (int)syscall(SYS_pidfd_send_signal, pidfd, sig, 0, 0);
}
