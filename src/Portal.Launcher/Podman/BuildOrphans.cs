using System.Globalization;
using System.Runtime.InteropServices;
using Portal.Launcher.Native;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Podman;

/// <summary>
/// What a killed build leaves running. buildah runs each RUN step through the OCI runtime, whose container process
/// starts a session (and a PID namespace) of its own, so killing podman's process group misses it. The launcher makes
/// itself a child subreaper before the build: whatever the build started and left behind becomes the launcher's
/// child, found here and killed.
/// </summary>
internal static class BuildOrphans
{
    public static void BecomeSubreaper()
    {
        if (Glibc.prctl(Glibc.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0)
        {
            throw new IOException($"prctl(PR_SET_CHILD_SUBREAPER) failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>The launcher's children now: the orphans the ended build left (its podman was reaped already).</summary>
    public static List<int> Children()
    {
        int self = Environment.ProcessId;
        List<int> children = [];
        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
            {
                continue;
            }

            try
            {
                // "pid (comm) state ppid ...": comm may hold anything but ends at the last ')'.
                string stat = File.ReadAllText(dir + "/stat");
                string[] rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(rest[1], CultureInfo.InvariantCulture) == self)
                {
                    children.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or ArgumentOutOfRangeException)
            {
                // Gone meanwhile, or not readable: not a child of ours.
            }
        }

        return children;
    }

    /// <summary>SIGKILL to each of <paramref name="pids"/> the launcher may signal; returns those it may not (a RUN
    /// step under another USER runs as one of the user's subordinate ids: only the user's namespace can kill it).</summary>
    public static List<int> KillDirect(IEnumerable<int> pids) =>
        [.. pids.Where(pid => kill(pid, SIGKILL) != 0 && errno == EPERM)];

    /// <summary>Reaps every exited child, without waiting.</summary>
    public static unsafe int ReapExited()
    {
        int reaped = 0;
        int status;
        while (Glibc.waitpid(-1, &status, Glibc.WNOHANG) > 0)
        {
            reaped++;
        }

        return reaped;
    }
}
