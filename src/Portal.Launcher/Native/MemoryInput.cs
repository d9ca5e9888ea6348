using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>
/// Bytes a child reads on stdin, from an anonymous memory file: written in full before the child starts, so a large
/// input can never fill a pipe and stall the launcher, and nothing lands on disk.
/// </summary>
internal static unsafe class MemoryInput
{
    /// <summary>A close-on-exec descriptor positioned at the start of <paramref name="data"/> (dup2 onto the child's
    /// stdin clears the flag on the copy).</summary>
    public static int Create(ReadOnlySpan<byte> data)
    {
        int fd = SafeFiles.WithPath("portal-input", p => memfd_create(p, MFD_CLOEXEC));
        if (fd < 0)
        {
            throw new IOException($"memfd_create failed (errno {errno}).");
        }

        try
        {
            SafeFiles.WriteAll(fd, data);
            if (lseek(fd, 0, SEEK_SET) != 0)
            {
                throw new IOException($"lseek on the input failed (errno {errno}).");
            }

            return fd;
        }
        catch
        {
            _ = close(fd);
            throw;
        }
    }
}
