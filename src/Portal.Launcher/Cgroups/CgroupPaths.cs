using System.Globalization;

namespace Portal.Launcher.Cgroups;

/// <summary>
/// Names in the launcher's cgroup tree, the same under every hierarchy (docs/launcher.md, "Job cgroups"):
/// <code>
/// &lt;parent&gt;/user-&lt;uid&gt;/calls          podman calls that start no job, and the user's podman pause process
/// &lt;parent&gt;/user-&lt;uid&gt;/job-&lt;job&gt;       one job: its limits, device filter, accounting
/// &lt;parent&gt;/user-&lt;uid&gt;/job-&lt;job&gt;/owner        (cgroup v2) delegated to the user for podman's cgroupfs manager
/// &lt;parent&gt;/user-&lt;uid&gt;/job-&lt;job&gt;/owner/podman (cgroup v2) where podman, conmon and the job start
/// </code>
/// The owner's uid is part of the path, so a request naming another user's job id finds nothing of it.
/// </summary>
internal static class CgroupPaths
{
    public const string Calls = "calls";
    public const string Owner = "owner";
    public const string Runtime = "podman";
    public const string JobPrefix = "job-";

    public static string User(string parent, uint uid) => parent + "/user-" + uid.ToString(CultureInfo.InvariantCulture);

    public static string Job(string parent, uint uid, string job) => User(parent, uid) + "/" + JobPrefix + job;

    /// <summary>
    /// A relative path of one or more names of [A-Za-z0-9._@-] (systemd unit names included), none "." or "..":
    /// the policy can never point the launcher outside a cgroup hierarchy.
    /// </summary>
    public static bool IsValidParent(string? parent)
    {
        if (string.IsNullOrEmpty(parent) || parent.Length > 1024 || parent[0] == '/')
        {
            return false;
        }

        foreach (string name in parent.Split('/'))
        {
            if (name.Length == 0 || name is "." or ".." || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '@' or '-'))
            {
                return false;
            }
        }

        return true;
    }
}
