using System.Runtime.InteropServices;

namespace Portal.Launcher.Native;

/// <summary>&lt;pwd.h&gt; and &lt;grp.h&gt;: the user database through NSS, as login sees it.</summary>
// The structs keep their C names, as Tmds.LibC's do (pollfd, sigset_t).
#pragma warning disable CS8981
internal static unsafe partial class Glibc
{
    [StructLayout(LayoutKind.Sequential)]
    public struct passwd
    {
        public byte* pw_name;
        public byte* pw_passwd;
        public uint pw_uid;
        public uint pw_gid;
        public byte* pw_gecos;
        public byte* pw_dir;
        public byte* pw_shell;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct group
    {
        public byte* gr_name;
        public byte* gr_passwd;
        public uint gr_gid;
        public byte** gr_mem;
    }

    /// <summary>Returns 0 or an error number (ERANGE: the buffer is too small).</summary>
    [LibraryImport("libc", EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int getpwnam_r(string name, passwd* pwd, byte* buf, nuint buflen, passwd** result);

    /// <summary>Returns 0 or an error number (ERANGE: the buffer is too small).</summary>
    [LibraryImport("libc", EntryPoint = "getgrnam_r", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int getgrnam_r(string name, group* grp, byte* buf, nuint buflen, group** result);

    /// <summary>-1 when <paramref name="ngroups"/> was too small; it then holds the number needed.</summary>
    [LibraryImport("libc", EntryPoint = "getgrouplist", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int getgrouplist(string user, uint group, uint* groups, int* ngroups);

    // Enumeration (the sub-id overlap check): not thread-safe, and the launcher has one thread that calls them.
    [LibraryImport("libc", EntryPoint = "setpwent")]
    public static partial void setpwent();

    /// <summary>The next account, or null at the end (or on an error, which ends the listing as well).</summary>
    [LibraryImport("libc", EntryPoint = "getpwent")]
    public static partial passwd* getpwent();

    [LibraryImport("libc", EntryPoint = "endpwent")]
    public static partial void endpwent();

    [LibraryImport("libc", EntryPoint = "setgrent")]
    public static partial void setgrent();

    /// <summary>The next group, or null at the end.</summary>
    [LibraryImport("libc", EntryPoint = "getgrent")]
    public static partial group* getgrent();

    [LibraryImport("libc", EntryPoint = "endgrent")]
    public static partial void endgrent();
}
#pragma warning restore CS8981
