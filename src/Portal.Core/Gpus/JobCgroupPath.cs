using System.Globalization;

namespace Portal.Core.Gpus;

/// <summary>
/// The launcher's job cgroups in the text of a <c>/proc/&lt;pid&gt;/cgroup</c> file: <c>/&lt;parent&gt;/user-&lt;uid&gt;/job-&lt;job&gt;</c>
/// (and anything below it), where the parent is the launcher policy's <c>cgroupParent</c>. Only under that parent: a
/// user may name a cgroup of their own <c>user-N/job-M</c> (systemd delegates a subtree to each user), and such a
/// look-alike must neither make a process part of a job nor spare it.
/// </summary>
public static class JobCgroupPath
{
    /// <summary>The first job cgroup path in <paramref name="cgroupFile"/> under <paramref name="parent"/>, or null.</summary>
    public static string? Find(string cgroupFile, string parent) => Match(cgroupFile, parent)?.Path;

    /// <summary>The portal job whose cgroup holds the process, when its key is a job id (the portal's keys are its job
    /// ids in decimal); else null. Whatever the process's uid: a container user other than root runs under one of the
    /// owner's subordinate uids, and only the launcher (root) makes cgroups at this depth under the parent.</summary>
    public static long? JobId(string cgroupFile, string parent) =>
        Match(cgroupFile, parent) is { } m && long.TryParse(m.Key, NumberStyles.None, CultureInfo.InvariantCulture, out long id) && id > 0
            ? id : null;

    private static (string Path, string Key)? Match(string cgroupFile, string parent)
    {
        ArgumentNullException.ThrowIfNull(cgroupFile);
        ArgumentException.ThrowIfNullOrEmpty(parent);
        string prefix = "/" + parent.Trim('/') + "/";
        foreach (string line in cgroupFile.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string path = line.Split(':', 3) is [_, _, var p] ? p : "";
            if (!path.StartsWith(prefix, StringComparison.Ordinal))
            {
                continue;
            }

            string[] parts = path[prefix.Length..].Split('/');
            if (parts.Length >= 2 && parts[0].StartsWith("user-", StringComparison.Ordinal)
                && uint.TryParse(parts[0].AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out _)
                && parts[1].StartsWith("job-", StringComparison.Ordinal) && parts[1].Length > 4)
            {
                return (path, parts[1][4..]);
            }
        }

        return null;
    }
}
