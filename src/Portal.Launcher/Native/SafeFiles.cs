using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>
/// File access that a root process can do safely: no symlinks followed, ownership and mode
/// checked on the opened descriptor (not on a path that could be swapped afterwards).
/// </summary>
internal static unsafe class SafeFiles
{
    /// <summary>
    /// Reads a small config file that only <paramref name="trustedOwner"/> (root, or the caller in
    /// dev mode) may have written: the file and every parent directory must be owned by root or
    /// that owner and not writable by group or others.
    /// </summary>
    public static byte[] ReadTrusted(string path, uint trustedOwner, int maxBytes)
    {
        if (!Path.IsPathFullyQualified(path) || path.Contains("/../", StringComparison.Ordinal) || path.EndsWith("/..", StringComparison.Ordinal))
        {
            throw new UnsafeFileException($"{path}: not a plain absolute path.");
        }

        CheckParents(path, trustedOwner);
        int fd = Open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0);
        try
        {
            stat st;
            if (fstat(fd, &st) < 0)
            {
                throw new UnsafeFileException($"{path}: fstat failed (errno {errno}).");
            }

            CheckOwnerAndMode(path, st, trustedOwner);
            if ((st.st_mode & S_IFMT) != S_IFREG)
            {
                throw new UnsafeFileException($"{path}: not a regular file.");
            }

            if (st.st_size > maxBytes)
            {
                throw new UnsafeFileException($"{path}: larger than {maxBytes} bytes.");
            }

            byte[] data = new byte[(int)st.st_size];
            int total = 0;
            fixed (byte* p = data)
            {
                while (total < data.Length)
                {
                    ssize_t n = read(fd, p + total, (size_t)(data.Length - total));
                    if (n < 0 && errno == EINTR)
                    {
                        continue;
                    }

                    if (n <= 0)
                    {
                        break;
                    }

                    total += (int)n;
                }
            }

            return data[..total];
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>Checks that an executable named by the policy cannot be replaced by anyone but root (or the dev-mode caller).</summary>
    public static void CheckTrustedExecutable(string path, uint trustedOwner)
    {
        CheckParents(path, trustedOwner);
        if (StatPath(path, follow: true, out stat st) < 0)
        {
            throw new UnsafeFileException($"{path}: not found (errno {errno}).");
        }

        CheckOwnerAndMode(path, st, trustedOwner);
    }

    /// <summary>
    /// Checks that a file the launcher mounts into jobs (a driver file) is root's alone: a regular file, no symlink,
    /// owned by root and not writable by group or others, in root-owned folders none of which is a symlink.
    /// </summary>
    public static void CheckRootOwnedFile(string path)
    {
        CheckParents(path, 0);
        if (StatPath(path, follow: false, out stat st) < 0)
        {
            throw new UnsafeFileException($"{path}: not found (errno {errno}).");
        }

        if ((st.st_mode & S_IFMT) != S_IFREG)
        {
            throw new UnsafeFileException($"{path}: not a regular file (a symlink is refused).");
        }

        CheckOwnerAndMode(path, st, 0);
    }

    /// <summary>
    /// Opens (creating if needed) an append-only log that stays root's: O_APPEND so nothing earlier
    /// is overwritten, O_NOFOLLOW so a planted symlink is not followed, one link only.
    /// </summary>
    public static int OpenAppendLog(string path, uint trustedOwner)
    {
        CheckParents(path, trustedOwner);
        int fd = Open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0x180 /* 0600 */);
        stat st;
        if (fstat(fd, &st) < 0 || (st.st_mode & S_IFMT) != S_IFREG || st.st_nlink != 1)
        {
            _ = close(fd);
            throw new UnsafeFileException($"{path}: not a plain single-link file.");
        }

        try
        {
            CheckOwnerAndMode(path, st, trustedOwner);
        }
        catch
        {
            _ = close(fd);
            throw;
        }

        return fd;
    }

    /// <summary>
    /// Writes all of <paramref name="data"/>. With <paramref name="readerMayBeGone"/>, a descriptor whose
    /// reader has gone (EPIPE) takes the rest silently, as System.Console does: there is no one to tell.
    /// </summary>
    public static void WriteAll(int fd, ReadOnlySpan<byte> data, bool readerMayBeGone = false)
    {
        fixed (byte* p = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                ssize_t n = write(fd, p + done, (size_t)(data.Length - done));
                if (n < 0 && errno == EINTR)
                {
                    continue;
                }

                if (n < 0 && errno == EPIPE && readerMayBeGone)
                {
                    return;
                }

                if (n <= 0)
                {
                    throw new IOException($"write failed (errno {errno}).");
                }

                done += (int)n;
            }
        }
    }

    private static void CheckParents(string path, uint trustedOwner)
    {
        string? dir = Path.GetDirectoryName(path);
        while (!string.IsNullOrEmpty(dir))
        {
            if (StatPath(dir, follow: false, out stat st) < 0)
            {
                throw new UnsafeFileException($"{dir}: not found (errno {errno}).");
            }

            if ((st.st_mode & S_IFMT) != S_IFDIR)
            {
                throw new UnsafeFileException($"{dir}: not a directory (a symlink in a trusted path is refused).");
            }

            // A sticky world-writable directory (/tmp) still lets only the owner replace an entry.
            bool sticky = (st.st_mode & S_ISVTX) != 0;
            if (st.st_uid != 0 && st.st_uid != trustedOwner)
            {
                throw new UnsafeFileException($"{dir}: owned by uid {st.st_uid}.");
            }

            if (!sticky && (st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
            {
                throw new UnsafeFileException($"{dir}: writable by group or others.");
            }

            dir = Path.GetDirectoryName(dir);
        }
    }

    private static void CheckOwnerAndMode(string path, stat st, uint trustedOwner)
    {
        if (st.st_uid != 0 && st.st_uid != trustedOwner)
        {
            throw new UnsafeFileException($"{path}: owned by uid {st.st_uid}, not root.");
        }

        if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        {
            throw new UnsafeFileException($"{path}: writable by group or others.");
        }
    }

    /// <summary>Calls <paramref name="call"/> with a NUL-terminated copy of <paramref name="path"/>.</summary>
    public static int WithPath(string path, PathCall call)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            return call(p);
        }
    }

    public delegate int PathCall(byte* path);

    /// <summary>stat or lstat by path; returns -1 with errno set on failure.</summary>
    public static int StatPath(string path, bool follow, out stat st)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        fixed (stat* s = &st)
        {
            return follow ? stat(p, s) : lstat(p, s);
        }
    }

    private static int Open(string path, int flags, int mode)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            int fd;
            do
            {
                fd = open(p, flags, (mode_t)mode);
            }
            while (fd < 0 && errno == EINTR);

            if (fd < 0)
            {
                int e = errno;
                throw new UnsafeFileException(e == ELOOP ? $"{path}: is a symlink." : $"{path}: cannot open (errno {e}).");
            }

            return fd;
        }
    }
}

internal sealed class UnsafeFileException(string message) : Exception(message);
