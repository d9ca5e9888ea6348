using Portal.Launcher.Native;

namespace Portal.Launcher.Cgroups;

/// <summary>How the host mounts its cgroups.</summary>
internal enum CgroupMode
{
    /// <summary>No cgroup hierarchy the launcher can use.</summary>
    None,

    /// <summary>Legacy: only v1 controller hierarchies.</summary>
    V1,

    /// <summary>v1 controllers plus a cgroup2 hierarchy without them (usually /sys/fs/cgroup/unified).</summary>
    Hybrid,

    /// <summary>One cgroup2 hierarchy at /sys/fs/cgroup with every controller.</summary>
    V2,
}

/// <summary>
/// The cgroup hierarchies of this host, read from /proc/self/mountinfo: the mount point of each v1 controller the
/// launcher uses and of the cgroup2 hierarchy, if any.
/// </summary>
internal sealed record CgroupHost(CgroupMode Mode, string? Unified, IReadOnlyDictionary<string, string> V1)
{
    /// <summary>The v1 controllers a job gets a cgroup in: its limits, its accounting, its devices and its freezer.</summary>
    public static readonly IReadOnlyList<string> V1Controllers = ["memory", "cpu", "cpuacct", "pids", "devices", "freezer"];

    public static CgroupHost Detect() => Parse(TextFiles.ReadAll("/proc/self/mountinfo"));

    /// <summary>The distinct v1 mount points (co-mounted controllers such as cpu,cpuacct share one).</summary>
    public IEnumerable<string> V1Hierarchies => V1.Values.Distinct(StringComparer.Ordinal);

    /// <summary>Parses mountinfo (proc(5)): "id parent dev root mountpoint options [tags] - fstype source superoptions".</summary>
    public static CgroupHost Parse(string mountinfo)
    {
        var v1 = new Dictionary<string, string>(StringComparer.Ordinal);
        string? unified = null;
        foreach (string line in mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] fields = line.Split(' ');
            int dash = Array.IndexOf(fields, "-");
            if (dash < 6 || fields.Length < dash + 4)
            {
                continue;
            }

            string mountPoint = Unescape(fields[4]);
            string fsType = fields[dash + 1];
            if (fsType == "cgroup2")
            {
                // /sys/fs/cgroup itself wins over any other cgroup2 mount (a unified host mounts only that one).
                if (unified is null || mountPoint == "/sys/fs/cgroup")
                {
                    unified = mountPoint;
                }
            }
            else if (fsType == "cgroup")
            {
                foreach (string option in fields[dash + 3].Split(','))
                {
                    if (V1Controllers.Contains(option))
                    {
                        _ = v1.TryAdd(option, mountPoint);
                    }
                }
            }
        }

        CgroupMode mode = (v1.Count, unified) switch
        {
            (0, null) => CgroupMode.None,
            (0, _) => CgroupMode.V2,
            (_, null) => CgroupMode.V1,
            _ => CgroupMode.Hybrid,
        };
        return new CgroupHost(mode, unified, v1);
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as octal.</summary>
    private static string Unescape(string field) =>
        field.Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
            .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal);
}
