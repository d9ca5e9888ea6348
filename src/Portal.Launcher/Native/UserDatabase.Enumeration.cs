using System.Runtime.InteropServices;

namespace Portal.Launcher.Native;

/// <summary>Every account and group that NSS will list (files always; LDAP/sssd where enumeration is on).</summary>
internal static unsafe partial class UserDatabase
{
    [LibraryImport("libc", EntryPoint = "setpwent")]
    private static partial void SetPwEnt();

    [LibraryImport("libc", EntryPoint = "getpwent")]
    private static partial Passwd* GetPwEnt();

    [LibraryImport("libc", EntryPoint = "endpwent")]
    private static partial void EndPwEnt();

    [LibraryImport("libc", EntryPoint = "setgrent")]
    private static partial void SetGrEnt();

    [LibraryImport("libc", EntryPoint = "getgrent")]
    private static partial Group* GetGrEnt();

    [LibraryImport("libc", EntryPoint = "endgrent")]
    private static partial void EndGrEnt();

    /// <summary>(name, uid) of every listed account and (name, gid) of every listed group.</summary>
    public static (List<(string Name, uint Id)> Users, List<(string Name, uint Id)> Groups) ListIds()
    {
        List<(string, uint)> users = [];
        List<(string, uint)> groups = [];
        SetPwEnt();
        try
        {
            for (Passwd* p = GetPwEnt(); p != null; p = GetPwEnt())
            {
                users.Add((Utf8(p->Name), p->Uid));
            }
        }
        finally
        {
            EndPwEnt();
        }

        SetGrEnt();
        try
        {
            for (Group* g = GetGrEnt(); g != null; g = GetGrEnt())
            {
                groups.Add((Utf8(g->Name), g->Gid));
            }
        }
        finally
        {
            EndGrEnt();
        }

        return (users, groups);
    }
}
