using Portal.Launcher.Cgroups;
using Portal.Launcher.Native;
using Portal.Launcher.Podman;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Verbs;

/// <summary>What the kernel lets a job's processes open, and the rest of its limits, from the request and the policy
/// (the task limit is the policy's alone: a request carries none).</summary>
internal static class JobDevices
{
    public static JobLimits Limits(RunSpec run, LauncherPolicy policy, string storageDriver) =>
        Limits(run.MemoryMiB, run.Cpus, run.Gpus ?? [], policy, storageDriver);

    /// <summary>
    /// An app's limits: its services share the app's one cgroup, so memory and CPUs are their sums (unbounded when
    /// one service sets none, as that service alone would be) and the device filter opens every service's GPUs.
    /// </summary>
    public static JobLimits Limits(AppSpec app, LauncherPolicy policy, string storageDriver) => Limits(
        app.Services.All(s => s.Run.MemoryMiB is not null) ? app.Services.Sum(s => s.Run.MemoryMiB!.Value) : null,
        app.Services.All(s => s.Run.Cpus is not null) ? app.Services.Sum(s => s.Run.Cpus!.Value) : null,
        [.. app.Services.SelectMany(s => s.Run.Gpus ?? []).Distinct(StringComparer.Ordinal)],
        policy, storageDriver);

    private static JobLimits Limits(long? memoryMiB, double? cpus, IReadOnlyList<string> gpus, LauncherPolicy policy, string storageDriver) => new(
        memoryMiB is { } mib ? mib << 20 : null,
        cpus,
        policy.PidsLimit,
        Rules(gpus, policy, storageDriver));

    /// <summary>
    /// The standard container devices, plus /dev/fuse where podman stores images through fuse-overlayfs, /dev/net/tun
    /// where jobs have a network, and with GPUs exactly the allocated nodes and the policy's control nodes.
    /// </summary>
    public static List<DeviceRule> Rules(IReadOnlyList<string> gpus, LauncherPolicy policy, string storageDriver)
    {
        List<DeviceRule> rules = [.. DeviceRule.Standard];
        bool fuse = storageDriver == LauncherPolicy.OverlayStorage
            && !PodmanConfig.KernelHasRootlessOverlay(TextFiles.ReadAll("/proc/sys/kernel/osrelease").Trim());
        if (fuse)
        {
            rules.Add(DeviceRule.Fuse);
        }

        if (policy.AllowNetwork)
        {
            rules.Add(DeviceRule.Tun);
        }

        List<string> nodes = [.. gpus.SelectMany(id => policy.Gpus.Single(g => g.Id == id).Nodes).Distinct(StringComparer.Ordinal)];
        if (nodes.Count > 0)
        {
            nodes.AddRange(policy.GpuControlNodes);
            CheckDriverFiles(policy);
        }

        foreach (string node in nodes)
        {
            if (SafeFiles.StatPath(node, follow: true, out stat st) < 0 || (st.st_mode & S_IFMT) != S_IFCHR)
            {
                throw new RequestRefusedException($"The GPU device {node} is missing or not a character device.");
            }

            rules.Add(DeviceRule.Char(Major(st.st_rdev), Minor(st.st_rdev)));
        }

        return rules;
    }

    /// <summary>A GPU job in device-node mode gets the policy's driver files: refused unless every one is the loaded
    /// driver's and root's alone (a stale list after a driver upgrade, a file outside the driver's set).</summary>
    private static void CheckDriverFiles(LauncherPolicy policy)
    {
        if (!policy.UseCdi && policy.Driver is { } driver && Driver.DriverFileCheck.Problems(driver, BuildConstants.DriverRoot) is [_, ..] problems)
        {
            throw new RequestRefusedException(
                $"The policy's NVIDIA driver files cannot be given to a GPU job: {string.Join("; ", problems.Take(5))}. "
                + "Run deploy/install-launcher.sh again to refresh the list from the loaded driver.");
        }
    }

    // glibc's gnu_dev_major/gnu_dev_minor (sys/sysmacros.h).
    private static uint Major(ulong dev) => (uint)(((dev >> 8) & 0xfff) | ((dev >> 32) & 0xfffff000));

    private static uint Minor(ulong dev) => (uint)((dev & 0xff) | ((dev >> 12) & 0xffffff00));
}
