using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>Creates <c>/run/user/&lt;uid&gt;</c> the way pam_systemd would, for users without a login session.</summary>
internal static unsafe class RuntimeDirectory
{
    public static string PathFor(uint uid) => "/run/user/" + uid.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// As root: ensures the directory exists, is a real directory (not a symlink) owned by the user
    /// with mode 0700. /run/user is root's, so nobody else can plant anything in it.
    /// </summary>
    public static string Ensure(UserAccount user)
    {
        EnsureRootDir("/run/user", 0x1ED /* 0755 */);
        string dir = PathFor(user.Uid);
        int rc = SafeFiles.WithPath(dir, p => mkdir(p, 0x1C0 /* 0700 */));
        if (rc < 0 && errno != EEXIST)
        {
            throw new IOException($"mkdir {dir} failed (errno {errno}).");
        }

        int fd = SafeFiles.WithPath(dir, p => open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (fd < 0)
        {
            throw new IOException($"{dir}: cannot open as a directory without following links (errno {errno}).");
        }

        try
        {
            stat st;
            if (fstat(fd, &st) < 0)
            {
                throw new IOException($"{dir}: fstat failed (errno {errno}).");
            }

            if (st.st_uid != 0 && st.st_uid != user.Uid)
            {
                throw new IOException($"{dir} belongs to uid {st.st_uid}, not {user.Uid}.");
            }

            if (fchown(fd, user.Uid, user.Gid) < 0 || fchmod(fd, 0x1C0) < 0)
            {
                throw new IOException($"{dir}: chown/chmod failed (errno {errno}).");
            }
        }
        finally
        {
            _ = close(fd);
        }

        return dir;
    }

    /// <summary>
    /// Creates a directory of root's (or, in dev mode, of <paramref name="trustedOwner"/>'s) and checks an existing one
    /// is theirs, not a link, and writable by nobody else; with <paramref name="exactMode"/> its mode is then set.
    /// </summary>
    public static void EnsureRootDir(string dir, int mode, uint trustedOwner = 0, bool exactMode = false)
    {
        int rc = SafeFiles.WithPath(dir, p => mkdir(p, (mode_t)mode));
        if (rc < 0 && errno != EEXIST)
        {
            throw new IOException($"mkdir {dir} failed (errno {errno}).");
        }

        int fd = SafeFiles.WithPath(dir, p => open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (fd < 0)
        {
            throw new IOException($"{dir} is not a directory (or is a link).");
        }

        try
        {
            stat st;
            if (fstat(fd, &st) < 0 || (st.st_uid != 0 && st.st_uid != trustedOwner) || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
            {
                throw new IOException($"{dir} is not a root-owned directory that only root can write.");
            }

            if (exactMode && (int)(st.st_mode & 0xFFF) != mode && fchmod(fd, (mode_t)mode) < 0)
            {
                throw new IOException($"chmod {dir} failed (errno {errno}).");
            }
        }
        finally
        {
            _ = close(fd);
        }
    }
}
