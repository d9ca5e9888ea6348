using System.Globalization;

namespace Portal.Launcher.Native;

/// <summary>What /proc says of a process: its start time, real uid and cgroups. Read as root from /proc/&lt;pid&gt;, a
/// path the kernel makes, not one a user could point elsewhere.</summary>
internal sealed record ProcessIdentity(ulong StartTime, uint RealUid, IReadOnlyList<string> CgroupPaths)
{
    /// <summary>Reads <paramref name="pid"/>; null when it is gone.</summary>
    public static ProcessIdentity? Read(int pid)
    {
        string dir = "/proc/" + pid.ToString(CultureInfo.InvariantCulture);
        try
        {
            ulong? start = StartTimeIn(File.ReadAllText(dir + "/stat"));
            uint? uid = RealUidIn(File.ReadAllText(dir + "/status"));
            if (start is null || uid is null)
            {
                throw new InvalidOperationException($"{dir} has no readable start time or uid.");
            }

            string[] cgroups = [.. File.ReadAllLines(dir + "/cgroup").Select(l => l.Split(':', 3) is [_, _, var path] ? path : "")];
            return new ProcessIdentity(start.Value, uid.Value, cgroups);
        }
        catch (IOException)
        {
            // Gone (ENOENT), or gone while being read (ESRCH).
            return null;
        }
    }

    /// <summary>Field 22 of a stat line. The command name (field 2) is in parentheses and may hold spaces and ')': the
    /// fields are counted from its last ')'.</summary>
    public static ulong? StartTimeIn(string stat)
    {
        int close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        // After ") " come field 3 (state) onwards: field 22 is the 20th.
        string[] fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields.Length > 19 && ulong.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out ulong t) ? t : null;
    }

    /// <summary>The real uid of a status file ("Uid:\treal\teffective\tsaved\tfs").</summary>
    public static uint? RealUidIn(string status)
    {
        foreach (string line in status.Split('\n'))
        {
            if (line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                string[] parts = line[4..].Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                return parts.Length > 0 && uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out uint uid) ? uid : null;
            }
        }

        return null;
    }

    /// <summary>Whether any of its cgroups is a job's (<c>/&lt;parent&gt;/user-&lt;uid&gt;/job-&lt;job&gt;</c> or below).</summary>
    public bool InJobCgroup(string parent) =>
        CgroupPaths.Any(p => p.StartsWith("/" + parent + "/user-", StringComparison.Ordinal)
            && p.Split('/').Any(part => part.StartsWith(Cgroups.CgroupPaths.JobPrefix, StringComparison.Ordinal)));
}
