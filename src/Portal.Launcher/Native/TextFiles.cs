using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>
/// Small text files (/proc, /etc/subuid, podman's pause.pid) read with open(2) and read(2): what File.ReadAllText and
/// File.ReadAllLines return for them, without FileStream's and StreamReader's code, which a <c>run</c> would otherwise
/// page in and set up for these few reads alone before podman starts. Links are followed, as File's are.
/// </summary>
/// <remarks>Bench: bench/launcher, target start-to-exec &lt;= 10 ms.</remarks>
internal static unsafe class TextFiles
{
    /// <summary>The file's text (a UTF-8 byte-order mark dropped), or an <see cref="IOException"/>: missing
    /// (<see cref="FileNotFoundException"/>), unreadable, or larger than <paramref name="maxBytes"/>.</summary>
    public static string ReadAll(string path, int maxBytes = 4 << 20)
    {
        int fd = SafeFiles.WithPath(path, p => open(p, O_RDONLY | O_CLOEXEC));
        if (fd < 0)
        {
            int error = errno;
            throw error == ENOENT ? new FileNotFoundException($"{path}: not found.", path) : new IOException($"{path}: cannot open (errno {error}).");
        }

        try
        {
            // One byte beyond the limit: a file of exactly maxBytes still ends in a read of 0.
            byte[] buffer = new byte[Math.Min(4096, maxBytes + 1)];
            int total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    Array.Resize(ref buffer, (int)Math.Min(buffer.Length * 4L, maxBytes + 1L));
                }

                long n;
                fixed (byte* b = buffer)
                {
                    n = (long)read(fd, b + total, (size_t)(buffer.Length - total));
                }

                if (n < 0 && errno == EINTR)
                {
                    continue;
                }

                if (n < 0)
                {
                    throw new IOException($"{path}: read failed (errno {errno}).");
                }

                if (n == 0)
                {
                    ReadOnlySpan<byte> text = buffer.AsSpan(0, total);
                    return Encoding.UTF8.GetString(text.StartsWith("\uFEFF"u8) ? text[3..] : text);
                }

                total += (int)n;
                if (total > maxBytes)
                {
                    throw new IOException($"{path}: larger than {maxBytes} bytes.");
                }
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>The lines of <see cref="ReadAll"/>, split as File.ReadAllLines splits them (\n, \r\n or \r; no empty
    /// line after a final line break).</summary>
    public static string[] ReadLines(string path, int maxBytes = 4 << 20) => Lines(ReadAll(path, maxBytes));

    internal static string[] Lines(string text)
    {
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] is '\n' or '\r')
            {
                lines.Add(text[start..i]);
                if (text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }

                start = i + 1;
            }
        }

        if (start < text.Length)
        {
            lines.Add(text[start..]);
        }

        return [.. lines];
    }
}
