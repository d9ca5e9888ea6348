using Portal.Launcher.Native;

namespace Portal.Launcher.Cgroups;

/// <summary>
/// A user's part of the launcher's cgroup tree: <c>&lt;parent&gt;/user-&lt;uid&gt;</c> in every hierarchy, with
/// <c>calls</c> for podman calls that start no job and the jobs below it. All of it is root's (on v2 the job's
/// <c>owner</c> child and <c>calls</c> are delegated to the user, their limits staying root's).
/// </summary>
internal sealed class UserCgroups(CgroupHost host, string parent, UserAccount user)
{
    /// <summary>The controllers a v2 job needs: its limits live in them.</summary>
    public const string V2Controllers = "+memory +cpu +pids";

    public string Relative { get; } = CgroupPaths.User(parent, user.Uid);

    public CgroupHost Host => host;

    /// <summary>Every hierarchy root the launcher uses: each distinct v1 mount, then the cgroup2 mount.</summary>
    private IEnumerable<string> Roots => host.Unified is { } u ? host.V1Hierarchies.Append(u) : host.V1Hierarchies;

    /// <summary>
    /// Makes the parent (only when it is one name: a deeper parent is a systemd unit's delegated cgroup, made by
    /// systemd), the user's cgroup and its <c>calls</c>, in every hierarchy.
    /// </summary>
    public void Ensure()
    {
        bool ownParent = !parent.Contains('/', StringComparison.Ordinal);
        foreach (string root in Roots)
        {
            bool v2 = root == host.Unified && host.Mode == CgroupMode.V2;
            string parentDir = root + "/" + parent;
            if (ownParent)
            {
                if (v2)
                {
                    EnableControllers(root);
                }

                CgroupFs.EnsureRootDir(parentDir);
            }
            else
            {
                CgroupFs.RequireDir(parentDir, 0);
            }

            string userDir = root + "/" + Relative;
            if (v2)
            {
                EnableControllers(parentDir);
            }

            CgroupFs.EnsureRootDir(userDir);
            if (v2)
            {
                EnableControllers(userDir);
            }

            string calls = userDir + "/" + CgroupPaths.Calls;
            CgroupFs.EnsureRootDir(calls);
            if (v2)
            {
                // podman checks that it owns its cgroup before it tries a systemd scope of its own (which fails here).
                Delegate(calls);
            }
        }
    }

    /// <summary>Moves the calling process into the user's <c>calls</c> cgroups: what podman leaves behind there (its
    /// pause process) is never part of a job.</summary>
    public void EnterCalls()
    {
        foreach (string root in Roots)
        {
            CgroupFs.Write(root + "/" + Relative + "/" + CgroupPaths.Calls + "/cgroup.procs", "0");
        }
    }

    public JobCgroup Job(string job) => new(host, this, job);

    /// <summary>The ids of the user's job cgroups, from the hierarchy that says whether a job holds processes.</summary>
    public IEnumerable<string> JobIds()
    {
        string root = host.Unified ?? host.V1.GetValueOrDefault("freezer") ?? host.V1["pids"];
        string dir = root + "/" + Relative;
        return CgroupFs.IsDir(dir)
            ? Directory.EnumerateDirectories(dir, CgroupPaths.JobPrefix + "*").Select(d => Path.GetFileName(d)[CgroupPaths.JobPrefix.Length..]).Order(StringComparer.Ordinal)
            : [];
    }

    /// <summary>
    /// cgroup v2 delegation (cgroup-v2.rst, "Delegation Containment"): the directory and its cgroup.procs,
    /// cgroup.subtree_control and cgroup.threads become the user's; every limit file stays root's. The user can then
    /// make cgroups below it and move processes among them, never out of it (that needs the common ancestor, root's).
    /// </summary>
    public void Delegate(string dir)
    {
        CgroupFs.Chown(dir, user.Uid, user.Gid);
        foreach (string file in new[] { "cgroup.procs", "cgroup.subtree_control", "cgroup.threads" })
        {
            CgroupFs.Chown(dir + "/" + file, user.Uid, user.Gid);
        }
    }

    /// <summary>Turns on memory, cpu and pids for the children of a v2 cgroup (it must hold no process itself).</summary>
    public static void EnableControllers(string dir)
    {
        if (CgroupFs.TryWrite(dir + "/cgroup.subtree_control", V2Controllers) == 0)
        {
            return;
        }

        string available = CgroupFs.TryRead(dir + "/cgroup.controllers")?.Trim() ?? "";
        throw new CgroupException(
            $"{dir} cannot give memory, cpu and pids to its children (it has '{available}'). On a systemd host its unit needs Delegate=yes and no process of its own.");
    }
}
