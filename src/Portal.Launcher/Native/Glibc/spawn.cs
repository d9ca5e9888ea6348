using System.Runtime.InteropServices;
using Tmds.Linux;

namespace Portal.Launcher.Native;

/// <summary>&lt;spawn.h&gt;. posix_spawn creates the child with clone(CLONE_VM | CLONE_VFORK) and runs only the listed
/// file actions before execve: no managed code runs in the child, unlike a fork from a multi-threaded runtime.</summary>
internal static unsafe partial class Glibc
{
    /// <summary>Room for glibc's posix_spawn_file_actions_t (80 bytes on x86-64) and posix_spawnattr_t (336), with margin:
    /// the launcher treats both as opaque.</summary>
    public const int SPAWN_OPAQUE_BYTES = 1024;

    public const short POSIX_SPAWN_RESETIDS = 0x01;
    public const short POSIX_SPAWN_SETPGROUP = 0x02;
    public const short POSIX_SPAWN_SETSIGDEF = 0x04;
    public const short POSIX_SPAWN_SETSIGMASK = 0x08;

    /// <summary>Returns 0 or an error number (not errno).</summary>
    [LibraryImport("libc", EntryPoint = "posix_spawn")]
    public static partial int posix_spawn(int* pid, byte* path, void* file_actions, void* attrp, byte** argv, byte** envp);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    public static partial int posix_spawn_file_actions_init(void* file_actions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    public static partial int posix_spawn_file_actions_destroy(void* file_actions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_adddup2")]
    public static partial int posix_spawn_file_actions_adddup2(void* file_actions, int fd, int newfd);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addchdir_np")]
    public static partial int posix_spawn_file_actions_addchdir_np(void* file_actions, byte* path);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
    public static partial int posix_spawnattr_init(void* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    public static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    public static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setpgroup")]
    public static partial int posix_spawnattr_setpgroup(void* attr, int pgroup);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    public static partial int posix_spawnattr_setsigmask(void* attr, sigset_t* sigmask);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
    public static partial int posix_spawnattr_setsigdefault(void* attr, sigset_t* sigdefault);
}
