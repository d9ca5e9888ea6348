using System.Runtime.InteropServices;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>&lt;sys/wait.h&gt;, and pidfd_open(2).</summary>
internal static unsafe partial class Glibc
{
    public const int WNOHANG = 1;

    /// <summary>The same number on every architecture (the unified syscall table, Linux 5.3).</summary>
    public const int SYS_pidfd_open = 434;

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    public static partial int waitpid(int pid, int* wstatus, int options);

    /// <summary>pidfd_open(2) through syscall(2): glibc gained a wrapper only in 2.36, and a missing symbol would stop a
    /// launcher bound to libc at link time from loading at all. -1 (errno ENOSYS) where the kernel lacks it.</summary>
    public static int pidfd_open(int pid, uint flags) => (int)syscall(SYS_pidfd_open, pid, flags);
}
