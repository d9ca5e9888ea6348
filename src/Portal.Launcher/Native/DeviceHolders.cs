using System.Globalization;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>
/// After a device ACL is revoked: a descriptor (or mapping) opened while the ACL stood survives the revocation, so
/// every process of the user that still holds a revoked node is killed. Found as root (who can read every
/// /proc/&lt;pid&gt;/fd), killed as the user after the drop, and only if the pid still names the same process:
/// same start time, same uid. A pid is never signalled as root.
/// </summary>
internal static unsafe class DeviceHolders
{
    /// <summary>A process found holding a node: its pid and start time (clock ticks after boot).</summary>
    public readonly record struct Holder(int Pid, ulong StartTime);

    /// <summary>As root: the processes whose real uid is <paramref name="uid"/> with one of <paramref name="nodes"/> open or mapped.</summary>
    public static List<Holder> Find(uint uid, IReadOnlyList<string> nodes)
    {
        HashSet<ulong> devices = [];
        foreach (string node in nodes)
        {
            if (SafeFiles.StatPath(node, follow: false, out stat st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR)
            {
                _ = devices.Add(st.st_rdev);
            }
        }

        var holders = new List<Holder>();
        if (devices.Count == 0)
        {
            return holders;
        }

        foreach (string dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                || Identity(pid) is not { } identity || identity.Uid != uid)
            {
                continue;
            }

            if (HoldsOpen(pid, devices) || Maps(pid, nodes))
            {
                holders.Add(new Holder(pid, identity.StartTime));
            }
        }

        return holders;
    }

    /// <summary>After the drop, as the user: SIGKILL each holder that is still the same process. Returns how many.</summary>
    public static int KillAsUser(uint uid, IEnumerable<Holder> holders)
    {
        int killed = 0;
        foreach (Holder h in holders)
        {
            if (Identity(h.Pid) is { } now && now.Uid == uid && now.StartTime == h.StartTime && kill(h.Pid, SIGKILL) == 0)
            {
                killed++;
            }
        }

        return killed;
    }

    /// <summary>The real uid and start time of a process, or null when it is gone.</summary>
    private static (uint Uid, ulong StartTime)? Identity(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces and parentheses: count fields after its closing one.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            ulong start = ulong.Parse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture);
            string? uidLine = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return uidLine is null ? null : (uint.Parse(uidLine.Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture), start);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static bool HoldsOpen(int pid, HashSet<ulong> devices)
    {
        try
        {
            foreach (string fd in Directory.EnumerateFiles($"/proc/{pid}/fd"))
            {
                if (SafeFiles.StatPath(fd, follow: true, out stat st) == 0 && (st.st_mode & S_IFMT) == S_IFCHR && devices.Contains(st.st_rdev))
                {
                    return true;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process ended while we looked.
        }

        return false;
    }

    /// <summary>A device mapped into memory (CUDA maps the GPU's node) outlives the descriptor that mapped it.</summary>
    private static bool Maps(int pid, IReadOnlyList<string> nodes)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/maps").Any(line => nodes.Any(n => line.EndsWith(" " + n, StringComparison.Ordinal)));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
