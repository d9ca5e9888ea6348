using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>
/// File operations on cgroup file systems, as root. The paths are built by the launcher from the mount table and
/// its own names; every directory it creates or enters must be a real directory that root owns (only the v2
/// delegated child is the user's), so a link or a user's directory is never mistaken for part of the tree.
/// </summary>
internal static unsafe class CgroupFs
{
    /// <summary>Creates <paramref name="path"/> unless it exists; either way it must then be a root-owned directory.</summary>
    public static void EnsureRootDir(string path)
    {
        int rc = SafeFiles.WithPath(path, p => mkdir(p, 0x1ED /* 0755 */));
        if (rc < 0 && errno != EEXIST)
        {
            throw new CgroupException($"mkdir {path} failed (errno {errno}).");
        }

        RequireDir(path, 0);
    }

    /// <summary>Fails unless <paramref name="path"/> is a directory (not a link) owned by <paramref name="owner"/>.</summary>
    public static void RequireDir(string path, uint owner)
    {
        if (SafeFiles.StatPath(path, follow: false, out stat st) < 0)
        {
            throw new CgroupException($"{path}: not found (errno {errno}).");
        }

        if ((st.st_mode & S_IFMT) != S_IFDIR || st.st_uid != owner)
        {
            throw new CgroupException($"{path} is not a directory owned by uid {owner}.");
        }
    }

    public static bool IsDir(string path) => SafeFiles.StatPath(path, follow: false, out stat st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR;

    /// <summary>Writes <paramref name="value"/> to a cgroup interface file; returns 0 or the errno.</summary>
    public static int TryWrite(string path, string value)
    {
        byte[] bytes = Encoding.ASCII.GetBytes(value);
        int fd = SafeFiles.WithPath(path, p => open(p, O_WRONLY | O_NOFOLLOW | O_CLOEXEC));
        if (fd < 0)
        {
            return errno;
        }

        try
        {
            fixed (byte* b = bytes)
            {
                // A cgroup file takes one value per write(2); a short write is an error, not something to continue.
                ssize_t n;
                do
                {
                    n = write(fd, b, (size_t)bytes.Length);
                }
                while (n < 0 && errno == EINTR);

                return n == bytes.Length ? 0 : n < 0 ? errno : EIO;
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    public static void Write(string path, string value)
    {
        int error = TryWrite(path, value);
        if (error != 0)
        {
            throw new CgroupException($"writing '{value}' to {path} failed (errno {error}).");
        }
    }

    /// <summary>A small interface file's text, or null when it does not exist.</summary>
    public static string? TryRead(string path)
    {
        int fd = SafeFiles.WithPath(path, p => open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (fd < 0)
        {
            return null;
        }

        try
        {
            byte* buffer = stackalloc byte[4096];
            var text = new StringBuilder();
            while (true)
            {
                ssize_t n = read(fd, buffer, 4096);
                if (n < 0 && errno == EINTR)
                {
                    continue;
                }

                if (n <= 0)
                {
                    return n < 0 ? null : text.ToString();
                }

                _ = text.Append(Encoding.ASCII.GetString(buffer, (int)n));
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>Waits <paramref name="milliseconds"/> (poll(2) with no descriptor): the launcher is single-purpose and synchronous.</summary>
    public static void Nap(int milliseconds) => _ = Glibc.poll(null, 0, milliseconds);

    /// <summary>Removes an empty cgroup; false when it is busy (processes or children left) or already gone.</summary>
    public static bool TryRemove(string path) => SafeFiles.WithPath(path, p => rmdir(p)) == 0 || errno == ENOENT;

    /// <summary>Gives a file or directory of the tree to <paramref name="uid"/> (cgroup v2 delegation), not following links.</summary>
    public static void Chown(string path, uint uid, uint gid)
    {
        if (SafeFiles.WithPath(path, p => fchownat(AT_FDCWD, p, uid, gid, AT_SYMLINK_NOFOLLOW)) < 0)
        {
            throw new CgroupException($"chown {path} failed (errno {errno}).");
        }
    }
}

/// <summary>A cgroup operation failed: the job is not started, or its end cannot be proven.</summary>
internal sealed class CgroupException(string message) : Exception(message);
