using System.Runtime.InteropServices;

namespace Portal.Launcher.Native;

/// <summary>
/// glibc's posix_spawn family, which Tmds.LibC does not wrap. posix_spawn creates the child with
/// clone(CLONE_VM | CLONE_VFORK) and runs only the listed file actions before execve: no managed code
/// runs in the child, unlike a fork from a multi-threaded runtime.
/// </summary>
internal static unsafe partial class Spawn
{
    /// <summary>Room for glibc's posix_spawn_file_actions_t (80 bytes on x86-64) and posix_spawnattr_t (336), with margin.</summary>
    public const int OpaqueBytes = 1024;

    public const short ResetIds = 0x01;     // POSIX_SPAWN_RESETIDS
    public const short SetPgroup = 0x02;    // POSIX_SPAWN_SETPGROUP
    public const short SetSigMask = 0x08;   // POSIX_SPAWN_SETSIGMASK
    public const short SetSigDefault = 0x04; // POSIX_SPAWN_SETSIGDEF

    [LibraryImport("libc", EntryPoint = "posix_spawn")]
    public static partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    public static partial int FileActionsInit(void* fileActions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    public static partial int FileActionsDestroy(void* fileActions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_adddup2")]
    public static partial int FileActionsAddDup2(void* fileActions, int fd, int newFd);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addchdir_np")]
    public static partial int FileActionsAddChdir(void* fileActions, byte* path);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
    public static partial int AttrInit(void* attributes);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    public static partial int AttrDestroy(void* attributes);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    public static partial int AttrSetFlags(void* attributes, short flags);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setpgroup")]
    public static partial int AttrSetPgroup(void* attributes, int pgroup);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    public static partial int AttrSetSigMask(void* attributes, void* sigset);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
    public static partial int AttrSetSigDefault(void* attributes, void* sigset);

    [LibraryImport("libc", EntryPoint = "sigemptyset")]
    public static partial int SigEmptySet(void* sigset);

    [LibraryImport("libc", EntryPoint = "sigfillset")]
    public static partial int SigFillSet(void* sigset);

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    public static partial int WaitPid(int pid, int* status, int options);

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    public const short PollIn = 0x1;
    public const short PollErr = 0x8;
    public const short PollHup = 0x10;
    public const int NoHang = 1; // WNOHANG

    /// <summary>pidfd_open(2) through syscall(2): glibc gained a wrapper only in 2.36, and a missing symbol
    /// would stop a launcher bound to libc at link time from loading at all. -1 where the kernel lacks it.</summary>
    public static int PidFdOpen(int pid) => (int)Syscall(434, pid, 0);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long pid, long flags);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMs);
}
