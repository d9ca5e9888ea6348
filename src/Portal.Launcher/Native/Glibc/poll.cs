using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Portal.Launcher.Native;

/// <summary>&lt;poll.h&gt;, declared again only to capture errno (see README.md).</summary>
internal static unsafe partial class Glibc
{
    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int poll(pollfd* fds, ulong nfds, int timeout);
}
