using static Portal.Launcher.Native.Glibc;

namespace Portal.Launcher.Native;

/// <summary>Every account and group that NSS will list (files always; LDAP/sssd where enumeration is on).</summary>
internal static unsafe partial class UserDatabase
{
    /// <summary>(name, uid) of every listed account and (name, gid) of every listed group.</summary>
    public static (List<(string Name, uint Id)> Users, List<(string Name, uint Id)> Groups) ListIds()
    {
        List<(string, uint)> users = [];
        List<(string, uint)> groups = [];
        setpwent();
        try
        {
            for (passwd* p = getpwent(); p != null; p = getpwent())
            {
                users.Add((Utf8(p->pw_name), p->pw_uid));
            }
        }
        finally
        {
            endpwent();
        }

        setgrent();
        try
        {
            for (group* g = getgrent(); g != null; g = getgrent())
            {
                groups.Add((Utf8(g->gr_name), g->gr_gid));
            }
        }
        finally
        {
            endgrent();
        }

        return (users, groups);
    }
}
