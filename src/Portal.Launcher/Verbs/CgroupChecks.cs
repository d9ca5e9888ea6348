using Portal.Launcher.Cgroups;
using Portal.Launcher.Native;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Verbs;

/// <summary>
/// The <c>check</c> lines about job cgroups: the host's cgroup mode and where the launcher keeps its tree, which
/// limits the kernel enforces per job, and which device control applies.
/// </summary>
internal static class CgroupChecks
{
    private static readonly string[] LimitControllers = ["memory", "cpu", "pids"];

    public static IEnumerable<CheckItem> Items(LaunchContext ctx)
    {
        CgroupHost host = CgroupHost.Detect();
        if (!ctx.Privileged)
        {
            yield return Item("cgroup", "warn", $"cgroup {Describe(host)}; dev mode makes no job cgroup: limits and device control are not enforced.");
            yield break;
        }

        if (host.Mode == CgroupMode.None)
        {
            yield return Item("cgroup", "fail", "No cgroup hierarchy is mounted: no job can be limited or stopped as a whole.");
            yield break;
        }

        string parent = ctx.Policy.CgroupParent;
        List<string> problems = [];
        IEnumerable<string> roots = host.Unified is { } u ? host.V1Hierarchies.Append(u) : host.V1Hierarchies;
        foreach (string root in roots)
        {
            string dir = root + "/" + parent;
            if (CgroupFs.IsDir(dir))
            {
                try
                {
                    CgroupFs.RequireDir(dir, 0);
                }
                catch (CgroupException e)
                {
                    problems.Add(e.Message);
                }
            }
            else if (parent.Contains('/', StringComparison.Ordinal))
            {
                problems.Add($"{dir} does not exist (a systemd unit with Delegate=yes makes it: deploy/systemd/portal-jobs.service)");
            }
        }

        // cgroup.kill exists in every non-root cgroup2 cgroup from Linux 5.14 on.
        bool kill = host.Unified is not null && KernelAtLeast(5, 14);
        string where = host.Mode == CgroupMode.V2
            ? $"v2: job cgroups under {host.Unified}/{parent}, each with a child delegated to its owner"
            : $"{Describe(host)}: job cgroups under <controller>/{parent} in {string.Join(", ", host.V1.Keys.Order(StringComparer.Ordinal))}"
                + (host.Unified is { } h ? $", and under {h}/{parent} for the device program and cgroup.kill" : "");
        yield return problems.Count == 0
            ? Item("cgroup", "ok", $"cgroup {where}; a stop ends with {(kill ? "cgroup.kill" : "freeze, SIGKILL, thaw")}.")
            : Item("cgroup", "fail", $"cgroup {where}: {string.Join("; ", problems)}.");

        List<string> limits = host.Mode == CgroupMode.V2 ? [.. LimitControllers] : [.. LimitControllers.Where(host.V1.ContainsKey)];
        List<string> missing = [.. LimitControllers.Except(limits)];
        yield return missing.Count == 0
            ? Item("cgroup-limits", "ok", "memoryMiB (no swap), cpus (CFS quota) and pidsLimit are enforced by the kernel on every process of a job, podman's and conmon's included.")
            : Item("cgroup-limits", "fail", $"No {string.Join(", ", missing)} controller: those limits are not enforced.");

        bool v1Devices = host.V1.ContainsKey("devices");
        bool bpf = host.Unified is not null;
        yield return (v1Devices, bpf) switch
        {
            (true, true) => Item("device-control", "ok", "A job opens only the standard devices and its own GPUs: the v1 devices controller and a BPF device program on its cgroup2 cgroup."),
            (false, true) => Item("device-control", "ok", "A job opens only the standard devices and its own GPUs: a BPF device program on its cgroup."),
            (true, false) => Item("device-control", "ok", "A job opens only the standard devices and its own GPUs: the v1 devices controller."),
            _ => Item("device-control", "fail", "Neither a devices controller nor cgroup2: a job can open any device its owner can."),
        };
    }

    private static bool KernelAtLeast(int major, int minor)
    {
        string[] parts = File.ReadAllText("/proc/sys/kernel/osrelease").Trim().Split('.', '-');
        return int.TryParse(parts[0], out int a) && parts.Length > 1 && int.TryParse(parts[1], out int b) && (a > major || (a == major && b >= minor));
    }

    private static string Describe(CgroupHost host) => host.Mode switch
    {
        CgroupMode.V2 => "v2",
        CgroupMode.Hybrid => "v1 hybrid",
        CgroupMode.V1 => "v1 legacy",
        _ => "none",
    };

    private static CheckItem Item(string name, string status, string detail) => new() { Name = name, Status = status, Detail = detail };
}
