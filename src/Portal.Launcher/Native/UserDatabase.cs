using System.Runtime.InteropServices;
using System.Text;

namespace Portal.Launcher.Native;

/// <summary>A Linux account as the system's user database (NSS) reports it.</summary>
internal sealed record UserAccount(string Name, uint Uid, uint Gid, string Home, IReadOnlyList<uint> Groups);

/// <summary>
/// Looks users and groups up through glibc (getpwnam_r, getgrnam_r, getgrouplist) so that NSS
/// sources such as LDAP/sssd count exactly as they do for login. Tmds.LibC has no passwd API.
/// </summary>
internal static unsafe partial class UserDatabase
{
    [StructLayout(LayoutKind.Sequential)]
    private struct Passwd
    {
        public byte* Name;
        public byte* Password;
        public uint Uid;
        public uint Gid;
        public byte* Gecos;
        public byte* Dir;
        public byte* Shell;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Group
    {
        public byte* Name;
        public byte* Password;
        public uint Gid;
        public byte** Members;
    }

    [LibraryImport("libc", EntryPoint = "getpwnam_r", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int GetPwNamR(string name, Passwd* pwd, byte* buf, nuint buflen, Passwd** result);

    [LibraryImport("libc", EntryPoint = "getgrnam_r", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int GetGrNamR(string name, Group* grp, byte* buf, nuint buflen, Group** result);

    [LibraryImport("libc", EntryPoint = "getgrouplist", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int GetGroupList(string user, uint group, uint* groups, int* ngroups);

    private const int Erange = 34;

    /// <summary>Returns the account, or null when the system knows no such user.</summary>
    public static UserAccount? FindUser(string name)
    {
        for (int size = 4096; size <= 1 << 20; size *= 4)
        {
            byte[] buffer = new byte[size];
            Passwd pwd;
            Passwd* result;
            int rc;
            fixed (byte* buf = buffer)
            {
                rc = GetPwNamR(name, &pwd, buf, (nuint)size, &result);
                if (rc == Erange)
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

                string pwName = Utf8(pwd.Name);
                string home = Utf8(pwd.Dir);
                return new UserAccount(pwName, pwd.Uid, pwd.Gid, home, GroupsOf(pwName, pwd.Gid));
            }
        }

        throw new InvalidOperationException("getpwnam_r needs an unreasonably large buffer.");
    }

    /// <summary>Returns the group's id, or null when the system knows no such group.</summary>
    public static uint? FindGroupId(string name)
    {
        for (int size = 4096; size <= 1 << 22; size *= 4)
        {
            byte[] buffer = new byte[size];
            Group grp;
            Group* result;
            fixed (byte* buf = buffer)
            {
                int rc = GetGrNamR(name, &grp, buf, (nuint)size, &result);
                if (rc == Erange)
                {
                    continue;
                }

                if (rc != 0)
                {
                    throw new InvalidOperationException($"getgrnam_r failed (errno {rc}).");
                }

                return result == null ? null : grp.Gid;
            }
        }

        throw new InvalidOperationException("getgrnam_r needs an unreasonably large buffer.");
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
                if (GetGroupList(user, primaryGid, g, &n) >= 0)
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
