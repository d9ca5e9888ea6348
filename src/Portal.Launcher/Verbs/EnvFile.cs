using System.Text;
using Portal.Launcher.Native;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Verbs;

/// <summary>
/// The job's environment goes to podman through a 0600 file in the user's runtime directory, not
/// through argv (readable by every local user in /proc/&lt;pid&gt;/cmdline) and not through podman's own
/// environment (which must stay the clean allow-list). Written after the drop, as the user.
/// </summary>
internal static unsafe class EnvFile
{
    public static string Write(IReadOnlyDictionary<string, string> env, string directory, string job)
    {
        string path = Path.Combine(directory, $"portal-env-{job}-{Environment.ProcessId}");
        WriteNew(path, env);
        return path;
    }

    /// <summary>Writes <paramref name="env"/>, one NAME=value per line, to <paramref name="path"/>, which must not exist
    /// yet (O_EXCL, never through a link): a new 0600 file of the caller.</summary>
    public static void WriteNew(string path, IReadOnlyDictionary<string, string> env)
    {
        var text = new StringBuilder();
        foreach ((string name, string value) in env)
        {
            text.Append(name).Append('=').Append(value).Append('\n');
        }

        int fd = SafeFiles.WithPath(path, p => open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0x180 /* 0600 */));
        if (fd < 0)
        {
            throw new IOException($"Cannot create the env file {path} (errno {errno}).");
        }

        try
        {
            SafeFiles.WriteAll(fd, Encoding.UTF8.GetBytes(text.ToString()));
        }
        finally
        {
            _ = close(fd);
        }
    }
}
