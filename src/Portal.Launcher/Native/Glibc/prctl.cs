using System.Runtime.InteropServices;

namespace Portal.Launcher.Native;

/// <summary>&lt;sys/prctl.h&gt; and &lt;sys/file.h&gt;, for <c>image-build</c>.</summary>
internal static unsafe partial class Glibc
{
    public const int PR_SET_CHILD_SUBREAPER = 36;
    public const int LOCK_EX = 2;
    public const int LOCK_NB = 4;

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    public static partial int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    [LibraryImport("libc", EntryPoint = "flock", SetLastError = true)]
    public static partial int flock(int fd, int operation);
}
