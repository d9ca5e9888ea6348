using System.Globalization;
using Portal.Launcher.Policy;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>
/// A session's folder, <c>&lt;sessions.dir&gt;/&lt;job&gt;</c>: made by root before the drop, owned by the user, group the
/// portal's proxy group, mode 2710 (setgid: the app's socket inherits the group, even though the container cannot
/// map it). Only the user can list or change it; the portal can reach a 0660 socket in it; nobody else gets in.
/// </summary>
/// <remarks>
/// The folder's content is the user's, so root touches it only through descriptors opened with O_NOFOLLOW under the
/// root-owned parent, and takes the folder back (root, 0700) before emptying it: from then on nothing the user runs
/// can add entries, and no link is ever followed.
/// </remarks>
internal static unsafe class SessionFolders
{
    private const int AtRemoveDir = 0x200;
    private const int MaxDepth = 32;
    private const int MaxEntries = 100_000;

    /// <summary>Creates the job's folder (replacing the user's own stale one from an earlier try) and returns its path.</summary>
    public static string Create(SessionPolicy policy, string job, UserAccount user, uint proxyGid)
    {
        RuntimeDirectory.EnsureRootDir(policy.Dir, 0x1ED /* 0755 */);
        int parent = OpenRootParent(policy.Dir);
        try
        {
            if (MakeDirectory(parent, job) == EEXIST)
            {
                RemoveAt(parent, policy.Dir, job, user.Uid);
                int again = MakeDirectory(parent, job);
                if (again != 0)
                {
                    throw new IOException($"mkdir {policy.Dir}/{job} failed (errno {again}).");
                }
            }

            int fd = OpenDirectoryAt(parent, job) ?? throw new IOException($"{policy.Dir}/{job} vanished after mkdir.");
            try
            {
                stat st;
                if (fstat(fd, &st) < 0 || st.st_uid != 0)
                {
                    throw new IOException($"{policy.Dir}/{job} is not the folder just made.");
                }

                // Group first, then mode: chown clears the setgid bit, so the mode comes last.
                if (fchown(fd, user.Uid, proxyGid) < 0 || fchmod(fd, 0x5C8 /* 02710 */) < 0)
                {
                    throw new IOException($"{policy.Dir}/{job}: chown/chmod failed (errno {errno}).");
                }
            }
            finally
            {
                _ = close(fd);
            }

            return policy.Dir + "/" + job;
        }
        finally
        {
            _ = close(parent);
        }
    }

    /// <summary>Removes the job's folder and everything in it, if it exists and is the user's; true if it did.</summary>
    public static bool Remove(SessionPolicy policy, string job, UserAccount user)
    {
        if (SafeFiles.StatPath(policy.Dir, follow: false, out _) < 0)
        {
            return false;
        }

        int parent = OpenRootParent(policy.Dir);
        try
        {
            return RemoveAt(parent, policy.Dir, job, user.Uid);
        }
        finally
        {
            _ = close(parent);
        }
    }

    /// <summary>The socket path a session's app listens on, seen from the host.</summary>
    public static string SocketPath(SessionPolicy policy, string job) => policy.Dir + "/" + job + "/" + Protocol.SessionRules.SocketName;

    private static bool RemoveAt(int parent, string dir, string job, uint uid)
    {
        int? opened = OpenDirectoryAt(parent, job);
        if (opened is not { } fd)
        {
            return false;
        }

        try
        {
            stat st;
            if (fstat(fd, &st) < 0)
            {
                throw new IOException($"{dir}/{job}: fstat failed (errno {errno}).");
            }

            // 0: a folder root already took back in an earlier, interrupted removal.
            if (st.st_uid != uid && st.st_uid != 0)
            {
                throw new IOException($"{dir}/{job} belongs to uid {st.st_uid}, not to the job's owner; left as it is.");
            }

            TakeBack(fd, $"{dir}/{job}");
            int entries = 0;
            Empty(fd, $"{dir}/{job}", 0, ref entries);
        }
        finally
        {
            _ = close(fd);
        }

        if (SafeFiles.WithPath(job, p => unlinkat(parent, p, AtRemoveDir)) < 0 && errno != ENOENT)
        {
            throw new IOException($"rmdir {dir}/{job} failed (errno {errno}).");
        }

        return true;
    }

    /// <summary>Root takes the directory: the user's processes can no longer add, rename or remove anything in it.</summary>
    private static void TakeBack(int fd, string what)
    {
        if (fchown(fd, 0, 0) < 0 || fchmod(fd, 0x1C0 /* 0700 */) < 0)
        {
            throw new IOException($"{what}: chown/chmod failed (errno {errno}).");
        }
    }

    /// <summary>Unlinks every entry of the open directory, descending into subdirectories through their descriptors.</summary>
    private static void Empty(int fd, string what, int depth, ref int entries)
    {
        if (depth > MaxDepth)
        {
            throw new IOException($"{what}: nested deeper than {MaxDepth} levels; left for an administrator.");
        }

        // The names come from the open directory itself (its /proc link), never from a path the user could change.
        string self = "/proc/self/fd/" + fd.ToString(CultureInfo.InvariantCulture);
        foreach (string entry in Directory.EnumerateFileSystemEntries(self))
        {
            if (++entries > MaxEntries)
            {
                throw new IOException($"{what}: more than {MaxEntries} entries; left for an administrator.");
            }

            string name = Path.GetFileName(entry);
            if (SafeFiles.WithPath(name, p => unlinkat(fd, p, 0)) == 0 || errno == ENOENT)
            {
                continue;
            }

            if (errno != EISDIR)
            {
                throw new IOException($"{what}/{name}: unlink failed (errno {errno}).");
            }

            int sub = OpenDirectoryAt(fd, name) ?? -1;
            if (sub < 0)
            {
                continue;
            }

            try
            {
                TakeBack(sub, what + "/" + name);
                Empty(sub, what + "/" + name, depth + 1, ref entries);
            }
            finally
            {
                _ = close(sub);
            }

            if (SafeFiles.WithPath(name, p => unlinkat(fd, p, AtRemoveDir)) < 0 && errno != ENOENT)
            {
                throw new IOException($"{what}/{name}: rmdir failed (errno {errno}).");
            }
        }
    }

    /// <summary>Opens the root-owned parent, refusing a link or anything group- or world-writable.</summary>
    private static int OpenRootParent(string dir)
    {
        int fd = SafeFiles.WithPath(dir, p => open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (fd < 0)
        {
            throw new IOException($"{dir}: cannot open as a directory without following links (errno {errno}).");
        }

        stat st;
        if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        {
            _ = close(fd);
            throw new IOException($"{dir} is not a directory that only root can change.");
        }

        return fd;
    }

    /// <summary>mkdirat(0700); 0 or the errno.</summary>
    private static int MakeDirectory(int parent, string name) =>
        SafeFiles.WithPath(name, p => mkdirat(parent, p, 0x1C0)) == 0 ? 0 : errno;

    /// <summary>openat as a directory, never following a link; null when the name does not exist.</summary>
    private static int? OpenDirectoryAt(int parent, string name)
    {
        int fd = SafeFiles.WithPath(name, p => openat(parent, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (fd >= 0)
        {
            return fd;
        }

        if (errno == ENOENT)
        {
            return null;
        }

        throw new IOException($"'{name}' is not a directory (errno {errno}); a link or a file is never followed.");
    }
}
