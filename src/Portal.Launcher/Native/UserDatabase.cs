using System.Runtime.InteropServices;
using System.Text;
using static Portal.Launcher.Native.Glibc;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>A Linux account as the system's user database (NSS) reports it.</summary>
internal sealed record UserAccount(string Name, uint Uid, uint Gid, string Home, IReadOnlyList<uint> Groups);

/// <summary>
/// Looks users and groups up through glibc (getpwnam_r, getgrnam_r, getgrouplist) so that NSS
/// sources such as LDAP/sssd count exactly as they do for login.
/// </summary>
internal static unsafe partial class UserDatabase
{
    /// <summary>Returns the account, or null when the system knows no such user.</summary>
    public static UserAccount? FindUser(string name)
    {
        for (int size = 4096; size <= 1 << 20; size *= 4)
        {
            byte[] buffer = Buffer(size);
            passwd pwd;
            passwd* result;
            int rc;
            fixed (byte* buf = buffer)
            {
                rc = getpwnam_r(name, &pwd, buf, (nuint)size, &result);
                if (rc == ERANGE)
                {
                    continue;
                }

                if (rc != 0)
                {
                    throw new InvalidOperationException($"getpwnam_r failed (errno {rc}).");
                }

                if (result == null)
                {
                    return null;
                }

                string pwName = Utf8(pwd.pw_name);
                string home = Utf8(pwd.pw_dir);
                return new UserAccount(pwName, pwd.pw_uid, pwd.pw_gid, home, GroupsOf(pwName, pwd.pw_gid));
            }
        }

        throw new InvalidOperationException("getpwnam_r needs an unreasonably large buffer.");
    }

    /// <summary>Returns the group's id, or null when the system knows no such group.</summary>
    public static uint? FindGroupId(string name)
    {
        for (int size = 4096; size <= 1 << 22; size *= 4)
        {
            byte[] buffer = Buffer(size);
            group grp;
            group* result;
            fixed (byte* buf = buffer)
            {
                int rc = getgrnam_r(name, &grp, buf, (nuint)size, &result);
                if (rc == ERANGE)
                {
                    continue;
                }

                if (rc != 0)
                {
                    throw new InvalidOperationException($"getgrnam_r failed (errno {rc}).");
                }

                return result == null ? null : grp.gr_gid;
            }
        }

        throw new InvalidOperationException("getgrnam_r needs an unreasonably large buffer.");
    }

    /// <summary>
    /// One buffer for the thread's lookups: a <c>run</c> asks for a user and some fifteen groups, and a fresh 4 KiB
    /// array each time is memory the GC zeroes and the kernel faults in before podman starts. The entries are copied
    /// out of it before a lookup returns.
    /// </summary>
    [ThreadStatic]
    private static byte[]? t_buffer;

    private static byte[] Buffer(int size)
    {
        if (t_buffer is null || t_buffer.Length < size)
        {
            t_buffer = new byte[size];
        }

        return t_buffer;
    }

    private static uint[] GroupsOf(string user, uint primaryGid)
    {
        int count = 64;
        while (true)
        {
            uint[] groups = new uint[count];
            int n = count;
            fixed (uint* g = groups)
            {
                if (getgrouplist(user, primaryGid, g, &n) >= 0)
                {
                    return groups[..n];
                }
            }

            if (n <= count || n > 65536)
            {
                throw new InvalidOperationException("getgrouplist failed.");
            }

            count = n;
        }
    }

    private static string Utf8(byte* s) => s == null ? "" : Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(s));
}
