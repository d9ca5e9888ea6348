using System.Runtime.InteropServices;

namespace Portal.Launcher.Native;

/// <summary>close_range(2), Linux 5.11 and glibc 2.34.</summary>
internal static partial class Glibc
{
    public const int CLOSE_RANGE_CLOEXEC = 4;

    [LibraryImport("libc", EntryPoint = "close_range", SetLastError = true)]
    public static partial int close_range(uint first, uint last, int flags);
}
