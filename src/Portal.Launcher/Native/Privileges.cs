using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>Who started the launcher, and the one-way switch to the target user.</summary>
internal static unsafe class Privileges
{
    /// <summary>The real uid of the caller (root under sudo).</summary>
    public static uint RealUid
    {
        get
        {
            uid_t r, e, s;
            Check(getresuid(&r, &e, &s), "getresuid");
            return r;
        }
    }

    /// <summary>
    /// True when the launcher holds root (sudo). False in dev mode, where real and effective ids are
    /// one unprivileged user. Anything in between (a setuid install) is refused: the caller's
    /// environment would then reach a root process unchecked.
    /// </summary>
    public static bool IsPrivileged()
    {
        uid_t r, e, s;
        Check(getresuid(&r, &e, &s), "getresuid");
        if (r == 0 && e == 0 && s == 0)
        {
            return true;
        }

        if (r == e && e == s && r != 0)
        {
            return false;
        }

        throw new PrivilegeException("Mixed real/effective user ids (setuid install?) are not supported; run through sudo.");
    }

    /// <summary>
    /// Becomes <paramref name="user"/> for good: supplementary groups, then gid, then uid (the order
    /// matters: after setresuid there is no right left to change groups). Then proves it.
    /// </summary>
    public static void DropTo(UserAccount user)
    {
        uint[] groups = [.. user.Groups];
        fixed (uint* g = groups)
        {
            Check(setgroups((size_t)groups.Length, (gid_t*)g), "setgroups");
        }

        Check(setresgid(user.Gid, user.Gid, user.Gid), "setresgid");
        Check(setresuid(user.Uid, user.Uid, user.Uid), "setresuid");
        VerifyIsOnly(user);
    }

    /// <summary>
    /// Runs <paramref name="action"/> with the user's effective ids and groups, then becomes root again: for what the
    /// root side must do as the user (checking mount sources, writing the env file, reading podman's files in the
    /// user's home) before and after podman, which it starts as the user (<see cref="SpawnAs"/>) while it stays root to
    /// own the job's cgroup. Only the effective ids change: the real and saved uid stay 0, so the user can neither signal nor trace
    /// the launcher meanwhile (and the kernel marks it not dumpable from the first change on).
    /// </summary>
    public static T AsUser<T>(UserAccount user, Func<T> action)
    {
        gid_t* saved = stackalloc gid_t[256];
        int count = getgroups(256, saved);
        Check(count, "getgroups");
        uint[] groups = [.. user.Groups];
        fixed (uint* g = groups)
        {
            Check(setgroups((size_t)groups.Length, (gid_t*)g), "setgroups");
        }

        Check(setresgid(unchecked((uint)-1), user.Gid, unchecked((uint)-1)), "setresgid");
        Check(setresuid(unchecked((uint)-1), user.Uid, unchecked((uint)-1)), "setresuid");
        try
        {
            return action();
        }
        finally
        {
            // Failing to become root again leaves a process that is neither: end it rather than carry on.
            if (setresuid(unchecked((uint)-1), 0, unchecked((uint)-1)) < 0 || setresgid(unchecked((uint)-1), 0, unchecked((uint)-1)) < 0
                || setgroups((size_t)count, saved) < 0)
            {
                Environment.FailFast("portal-launcher: could not return to root after acting as the user.");
            }
        }
    }

    /// <summary>
    /// Lets the launcher, which stays root, start a program as the user for good. For the duration of
    /// <paramref name="spawn"/> the real and saved ids and the supplementary groups become the user's while the
    /// effective ids stay 0 (so every capability stays); <c>posix_spawn</c> with <c>POSIX_SPAWN_RESETIDS</c> then sets
    /// the child's effective ids to its real ones before it execs, and a process whose real, effective and saved uids
    /// are all non-zero has no capability left: the child is the user's in every position, exactly as after
    /// <see cref="DropTo"/>. Afterwards the launcher is root again in every position.
    /// </summary>
    /// <remarks>
    /// No exec of a helper (setpriv) in between: the child is posix_spawn's own vfork'd child. While the real uid is the
    /// user's (the child's exec, well under a millisecond) a process of that user could signal the launcher; it cannot
    /// trace it (the effective uid is 0, and a process whose ids changed is not dumpable), and stopping or killing the
    /// launcher then only fails that user's own request.
    /// </remarks>
    public static int SpawnAs(UserAccount user, Func<int> spawn)
    {
        gid_t* saved = stackalloc gid_t[256];
        int count = getgroups(256, saved);
        Check(count, "getgroups");
        uint[] groups = [.. user.Groups];
        fixed (uint* g = groups)
        {
            Check(setgroups((size_t)groups.Length, (gid_t*)g), "setgroups");
        }

        try
        {
            Check(setresgid(user.Gid, 0, user.Gid), "setresgid");
            Check(setresuid(user.Uid, 0, user.Uid), "setresuid");
            return spawn();
        }
        finally
        {
            if (setresuid(0, 0, 0) < 0 || setresgid(0, 0, 0) < 0 || setgroups((size_t)count, saved) < 0)
            {
                Environment.FailFast("portal-launcher: could not return to root after starting a program as the user.");
            }
        }
    }

    /// <summary>Fails unless every id is the user's and neither uid 0 nor gid 0 can be regained.</summary>
    public static void VerifyIsOnly(UserAccount user)
    {
        uid_t r, e, s;
        Check(getresuid(&r, &e, &s), "getresuid");
        if (r != user.Uid || e != user.Uid || s != user.Uid)
        {
            throw new PrivilegeException($"uid is {r}/{e}/{s} after the drop, expected {user.Uid}.");
        }

        gid_t gr, ge, gs;
        Check(getresgid(&gr, &ge, &gs), "getresgid");
        if (gr != user.Gid || ge != user.Gid || gs != user.Gid)
        {
            throw new PrivilegeException($"gid is {gr}/{ge}/{gs} after the drop, expected {user.Gid}.");
        }

        gid_t* list = stackalloc gid_t[256];
        int n = getgroups(256, list);
        Check(n, "getgroups");
        for (int i = 0; i < n; i++)
        {
            if (!user.Groups.Contains(list[i]))
            {
                throw new PrivilegeException($"Supplementary group {list[i]} survived the drop.");
            }
        }

        if (user.Uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
        {
            throw new PrivilegeException("uid 0 could be regained after the drop.");
        }

        if (user.Gid != 0 && (setgid(0) == 0 || setegid(0) == 0))
        {
            throw new PrivilegeException("gid 0 could be regained after the drop.");
        }
    }

    private static void Check(int rc, string call)
    {
        if (rc < 0)
        {
            throw new PrivilegeException($"{call} failed (errno {errno}).");
        }
    }
}

internal sealed class PrivilegeException(string message) : Exception(message);
