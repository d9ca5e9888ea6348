using System.Globalization;
using Portal.Launcher.Cgroups;

namespace Portal.Launcher.Tests.Infrastructure;

/// <summary>The launcher's cgroup tree as the tests see it (as root): paths of a job's cgroups, their processes, clean-up.</summary>
public static class TestCgroups
{
    internal static CgroupHost Host { get; } = CgroupHost.Detect();

    /// <summary>Every hierarchy root: each v1 controller's mount (co-mounted ones once) and the cgroup2 mount.</summary>
    public static IEnumerable<string> Roots => Host.Unified is { } u ? Host.V1Hierarchies.Append(u) : Host.V1Hierarchies;

    public static string UserDir(string root, TestUser user) =>
        $"{root}/{LauncherFixture.CgroupParent}/user-{user.Uid.ToString(CultureInfo.InvariantCulture)}";

    public static string JobDir(string root, TestUser user, string job) => UserDir(root, user) + "/job-" + job;

    public static string V1(string controller, TestUser user, string job) => JobDir(Host.V1[controller], user, job);

    public static string? Unified(TestUser user, string job) => Host.Unified is { } u ? JobDir(u, user, job) : null;

    /// <summary>The owner's uid of a file or directory (not following a link).</summary>
    public static uint Owner(string path) =>
        Portal.Launcher.Native.SafeFiles.StatPath(path, follow: false, out Tmds.Linux.stat st) == 0 ? st.st_uid : throw new FileNotFoundException(path);

    /// <summary>The pids in a cgroup directory (not its children).</summary>
    public static List<int> Pids(string dir) =>
        File.Exists(dir + "/cgroup.procs")
            ? [.. File.ReadAllLines(dir + "/cgroup.procs").Where(l => l.Length > 0).Select(l => int.Parse(l, CultureInfo.InvariantCulture))]
            : [];

    /// <summary>The cgroup path of <paramref name="pid"/> in the hierarchy holding <paramref name="controller"/> ("" for cgroup2).</summary>
    public static string CgroupOf(int pid, string controller) =>
        File.ReadAllLines($"/proc/{pid}/cgroup")
            .Select(l => l.Split(':', 3))
            .Single(f => controller.Length == 0 ? f[0] == "0" && f[1].Length == 0 : f[1].Split(',').Contains(controller))[2];

    /// <summary>Kills every process in the tree under <paramref name="parent"/> in every hierarchy, then removes it, deepest first.</summary>
    public static async Task RemoveTreeAsync(string parent)
    {
        List<string> tops = [.. Roots.Select(r => r + "/" + parent).Where(Directory.Exists)];
        await Wait.UntilAsync(
            async () =>
            {
                List<int> left = [.. tops.SelectMany(Walk).SelectMany(Pids).Distinct()];
                foreach (int pid in left)
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

                await Task.Yield();
                return left.Count;
            },
            n => n == 0, TimeSpan.FromSeconds(30), $"processes in the cgroups under {parent} to end");

        foreach (string top in tops)
        {
            foreach (string dir in Walk(top).Reverse())
            {
                Directory.Delete(dir);
            }
        }
    }

    /// <summary>A cgroup directory and every one below it, parents first.</summary>
    private static IEnumerable<string> Walk(string dir) =>
        Directory.Exists(dir) ? Directory.EnumerateDirectories(dir).SelectMany(Walk).Prepend(dir) : [];
}
