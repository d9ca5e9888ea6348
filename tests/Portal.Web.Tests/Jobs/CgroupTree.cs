using System.Globalization;

namespace Portal.Web.Tests.Jobs;

/// <summary>The launcher's job cgroups for these tests (the test policy's cgroupParent), removed when the tests end.</summary>
public static class CgroupTree
{
    public const string Parent = "portal-web-test";

    /// <summary>Kills every process left in the tree, in every hierarchy, and removes it, deepest first.</summary>
    public static Task RemoveAsync() => RemoveAsync(Parent);

    /// <summary>The same for the tree of another launcher policy's <c>cgroupParent</c>.</summary>
    public static async Task RemoveAsync(string parent)
    {
        // /sys/fs/cgroup itself (cgroup v2) and each hierarchy mounted below it (v1 controllers, a hybrid host's unified).
        List<string> tops = [.. Directory.EnumerateDirectories("/sys/fs/cgroup").Prepend("/sys/fs/cgroup")
            .Select(root => Path.Combine(root, parent)).Where(Directory.Exists)];
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        // A frozen process keeps a SIGKILL pending until it is thawed (a launcher killed between freezing a job and
        // thawing it leaves it so). Nothing freezes the tree again once its launchers are gone: once is enough.
        foreach (var dir in tops.SelectMany(Walk))
        {
            Thaw(dir);
        }

        List<int> left;
        while ((left = [.. tops.SelectMany(Walk).SelectMany(Pids).Distinct()]).Count > 0 && DateTime.UtcNow < deadline)
        {
            foreach (var pid in left)
            {
                try
                {
                    using var process = System.Diagnostics.Process.GetProcessById(pid);
                    process.Kill();
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    // Already gone.
                }
            }

            await Task.Delay(50);
        }

        foreach (var dir in tops.SelectMany(Walk).Reverse())
        {
            Directory.Delete(dir);
        }
    }

    /// <summary>
    /// Moves a process into a job's cgroup in every hierarchy (as root: the tree is root's), as a process the job left
    /// behind would be: the launcher must count it and kill it. On cgroup v2, into the cgroup podman started in.
    /// </summary>
    public static void Join(uint uid, string job, int pid)
    {
        List<string> dirs = [.. Directory.EnumerateDirectories("/sys/fs/cgroup").Prepend("/sys/fs/cgroup")
            .Select(root => $"{root}/{Parent}/user-{uid.ToString(CultureInfo.InvariantCulture)}/job-{job}")
            .Where(Directory.Exists)
            .Select(dir => Directory.Exists(dir + "/owner/podman") ? dir + "/owner/podman" : dir)];
        if (dirs.Count == 0)
        {
            throw new InvalidOperationException($"Job {job} of uid {uid} has no cgroup.");
        }

        foreach (var dir in dirs)
        {
            File.WriteAllText(dir + "/cgroup.procs", pid.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void Thaw(string dir)
    {
        foreach (var (file, thawed) in new[] { ("freezer.state", "THAWED"), ("cgroup.freeze", "0") })
        {
            string path = Path.Combine(dir, file);
            try
            {
                if (File.Exists(path))
                {
                    File.WriteAllText(path, thawed);
                }
            }
            catch (IOException)
            {
                // Removed meanwhile: the kill loop goes on.
            }
        }
    }

    private static IEnumerable<string> Walk(string dir) =>
        Directory.Exists(dir) ? Directory.EnumerateDirectories(dir).SelectMany(Walk).Prepend(dir) : [];

    private static IEnumerable<int> Pids(string dir) =>
        File.Exists(dir + "/cgroup.procs")
            ? File.ReadAllLines(dir + "/cgroup.procs").Where(l => l.Length > 0).Select(l => int.Parse(l, CultureInfo.InvariantCulture))
            : [];
}
