using System.Globalization;
using Portal.Launcher.Native;
using Portal.Launcher.Protocol;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Cgroups;

/// <summary>
/// One job's root-owned cgroup, in every hierarchy the host has (docs/launcher.md, "Job cgroups"): v1 memory, cpu,
/// cpuacct, pids, devices and freezer; and on cgroup2 (v2, or the hybrid host's unified mount) the job's cgroup with
/// its BPF device program, its <c>cgroup.kill</c> and its <c>populated</c> event, plus on v2 the limits and a child
/// delegated to the owner. Only the launcher's root side writes here; the job's processes cannot leave it.
/// </summary>
internal sealed class JobCgroup(CgroupHost host, UserCgroups owner, string job)
{
    /// <summary>How long a cgroup-wide kill may take to empty the cgroup (a GPU context can take seconds to tear down).</summary>
    public static readonly TimeSpan KillWait = TimeSpan.FromSeconds(20);

    private readonly string _relative = owner.Relative + "/" + CgroupPaths.JobPrefix + job;

    public string Job => job;

    private string? UnifiedDir => host.Unified is { } u ? u + "/" + _relative : null;

    private string V1Dir(string controller) => host.V1[controller] + "/" + _relative;

    /// <summary>The v2 child where podman starts: the owner's delegated cgroup's leaf (podman's cgroupfs manager creates siblings of it).</summary>
    private string? RuntimeDir => host.Mode == CgroupMode.V2 ? UnifiedDir + "/" + CgroupPaths.Owner + "/" + CgroupPaths.Runtime : null;

    /// <summary>The directory that says whether the job exists and holds processes.</summary>
    private string ReferenceDir => UnifiedDir ?? V1Dir(host.V1.ContainsKey("freezer") ? "freezer" : "pids");

    public bool Exists => CgroupFs.IsDir(ReferenceDir);

    /// <summary>
    /// Creates the job's cgroups with <paramref name="limits"/>. Returns false, touching nothing, when the cgroup already
    /// holds processes (a second launch of a running job: podman will refuse it on the container name). An empty
    /// leftover (an earlier launch that failed) is removed and made again, so no stale limit or device program stays.
    /// </summary>
    public bool Create(JobLimits limits)
    {
        if (Exists)
        {
            if (IsPopulated())
            {
                return false;
            }

            if (!Remove())
            {
                throw new CgroupException($"The leftover cgroup of job {job} could not be removed.");
            }
        }

        try
        {
            Make(limits);
        }
        catch
        {
            // Half a cgroup is no cgroup: nothing has entered it yet, so it goes whole.
            _ = Remove();
            throw;
        }

        return true;
    }

    private void Make(JobLimits limits)
    {
        foreach (string controller in CgroupHost.V1Controllers.Where(host.V1.ContainsKey))
        {
            CgroupFs.EnsureRootDir(V1Dir(controller));
        }

        if (UnifiedDir is { } unified)
        {
            CgroupFs.EnsureRootDir(unified);
            if (host.Mode == CgroupMode.V2)
            {
                UserCgroups.EnableControllers(unified);
                string delegated = unified + "/" + CgroupPaths.Owner;
                CgroupFs.EnsureRootDir(delegated);
                CgroupFs.EnsureRootDir(RuntimeDir!);
                owner.Delegate(delegated);
                owner.Delegate(RuntimeDir!);
            }

            Bpf.AttachDeviceProgram(unified, DeviceProgram.Build(limits.Devices));
        }

        if (host.V1.ContainsKey("devices"))
        {
            string devices = V1Dir("devices");
            CgroupFs.Write(devices + "/devices.deny", "a");
            foreach (DeviceRule rule in limits.Devices)
            {
                CgroupFs.Write(devices + "/devices.allow", rule.ToV1());
            }
        }

        _ = ApplyLimits(limits);
    }

    /// <summary>Writes memory, CPU and task limits (raising or lowering them). False when the job already holds more
    /// memory than <paramref name="limits"/> allows and the kernel could not reclaim it (cgroup v1 answers EBUSY).</summary>
    public bool ApplyLimits(JobLimits limits)
    {
        string pids = limits.Pids.ToString(CultureInfo.InvariantCulture);
        if (host.Mode == CgroupMode.V2)
        {
            string dir = UnifiedDir!;
            CgroupFs.Write(dir + "/pids.max", pids);
            CgroupFs.Write(dir + "/cpu.max", (limits.CpuQuotaMicros?.ToString(CultureInfo.InvariantCulture) ?? "max") + " " + JobLimits.CpuPeriodMicros.ToString(CultureInfo.InvariantCulture));
            if (limits.MemoryBytes is { } bytes)
            {
                // No swap either: a job over its limit is OOM-killed, not paged out on everyone's disk.
                _ = CgroupFs.TryWrite(dir + "/memory.swap.max", "0");
                CgroupFs.Write(dir + "/memory.max", bytes.ToString(CultureInfo.InvariantCulture));
            }

            return true;
        }

        if (host.V1.ContainsKey("pids"))
        {
            CgroupFs.Write(V1Dir("pids") + "/pids.max", pids);
        }

        if (host.V1.ContainsKey("cpu"))
        {
            string cpu = V1Dir("cpu");
            CgroupFs.Write(cpu + "/cpu.cfs_period_us", JobLimits.CpuPeriodMicros.ToString(CultureInfo.InvariantCulture));
            CgroupFs.Write(cpu + "/cpu.cfs_quota_us", limits.CpuQuotaMicros?.ToString(CultureInfo.InvariantCulture) ?? "-1");
        }

        if (limits.MemoryBytes is { } memory && host.V1.ContainsKey("memory"))
        {
            return SetV1Memory(V1Dir("memory"), memory);
        }

        return true;
    }

    /// <summary>
    /// memory.limit_in_bytes, and memory.memsw.limit_in_bytes (memory plus swap) to the same value where swap is
    /// accounted. memsw may never be below the memory limit, so the order depends on the direction of the change.
    /// </summary>
    private static bool SetV1Memory(string dir, long bytes)
    {
        string value = bytes.ToString(CultureInfo.InvariantCulture);
        bool hasSwap = File.Exists(dir + "/memory.memsw.limit_in_bytes");
        int error = CgroupFs.TryWrite(dir + "/memory.limit_in_bytes", value);
        if (error == EINVAL && hasSwap)
        {
            // Raising: memsw (still lower) first.
            CgroupFs.Write(dir + "/memory.memsw.limit_in_bytes", value);
            error = CgroupFs.TryWrite(dir + "/memory.limit_in_bytes", value);
        }
        else if (error == 0 && hasSwap)
        {
            error = CgroupFs.TryWrite(dir + "/memory.memsw.limit_in_bytes", value);
        }

        if (error == EBUSY)
        {
            return false;
        }

        if (error != 0)
        {
            throw new CgroupException($"setting the memory limit of {dir} failed (errno {error}).");
        }

        return true;
    }

    /// <summary>After the start: the peak the job's own processes reach, not podman's (v1 only; v2 cannot reset memory.peak).</summary>
    public void ResetPeak()
    {
        if (host.V1.ContainsKey("memory"))
        {
            _ = CgroupFs.TryWrite(V1Dir("memory") + "/memory.max_usage_in_bytes", "0");
        }
    }

    /// <summary>Moves the calling process (all its threads) into the job: what it starts from now on is the job's.</summary>
    public void Enter()
    {
        foreach (string hierarchy in host.V1Hierarchies)
        {
            string controller = host.V1.First(kv => kv.Value == hierarchy).Key;
            CgroupFs.Write(V1Dir(controller) + "/cgroup.procs", "0");
        }

        if (UnifiedDir is { } unified)
        {
            CgroupFs.Write((RuntimeDir ?? unified) + "/cgroup.procs", "0");
        }
    }

    public bool IsPopulated()
    {
        if (UnifiedDir is { } unified)
        {
            // cgroup.events counts the whole subtree, the owner's delegated cgroups included.
            string? events = CgroupFs.TryRead(unified + "/cgroup.events");
            return events is not null && Field(events, "populated") == 1;
        }

        return Pids(ReferenceDir).Count > 0;
    }

    /// <summary>The kernel's view of the job, for the portal.</summary>
    public CgroupState State()
    {
        if (!Exists)
        {
            return new CgroupState { Job = job, Exists = false };
        }

        if (host.Mode == CgroupMode.V2)
        {
            string dir = UnifiedDir!;
            string? memoryMax = CgroupFs.TryRead(dir + "/memory.max")?.Trim();
            return new CgroupState
            {
                Job = job,
                Exists = true,
                Populated = IsPopulated(),
                CpuSeconds = (Field(CgroupFs.TryRead(dir + "/cpu.stat"), "usage_usec") ?? 0) / 1e6,
                PeakMemoryBytes = Number(CgroupFs.TryRead(dir + "/memory.peak")),
                MemoryLimitBytes = memoryMax is null or "max" ? null : Number(memoryMax),
                OomKills = Field(CgroupFs.TryRead(dir + "/memory.events"), "oom_kill") ?? 0,
            };
        }

        string? memory = host.V1.ContainsKey("memory") ? V1Dir("memory") : null;
        long? limit = memory is null ? null : Number(CgroupFs.TryRead(memory + "/memory.limit_in_bytes"));
        return new CgroupState
        {
            Job = job,
            Exists = true,
            Populated = IsPopulated(),
            CpuSeconds = host.V1.ContainsKey("cpuacct") ? (Number(CgroupFs.TryRead(V1Dir("cpuacct") + "/cpuacct.usage")) ?? 0) / 1e9 : 0,
            PeakMemoryBytes = memory is null ? null : Number(CgroupFs.TryRead(memory + "/memory.max_usage_in_bytes")),
            // "No limit" reads as the largest page-aligned value.
            MemoryLimitBytes = limit is >= 1L << 62 ? null : limit,
            OomKills = memory is null ? 0 : Field(CgroupFs.TryRead(memory + "/memory.oom_control"), "oom_kill") ?? 0,
        };
    }

    /// <summary>
    /// Kills every process left in the job, as root, and waits until the cgroup is empty. cgroup2's
    /// <c>cgroup.kill</c> where it exists (v2, and the hybrid host's unified mount: kernel 5.14+); else the v1
    /// freezer: freeze (nothing can fork), SIGKILL each process, thaw (the signals land). True when empty.
    /// </summary>
    public bool KillAll()
    {
        if (!Exists || !IsPopulated())
        {
            return true;
        }

        if (UnifiedDir is { } unified && File.Exists(unified + "/cgroup.kill"))
        {
            CgroupFs.Write(unified + "/cgroup.kill", "1");
        }
        else if (host.V1.ContainsKey("freezer"))
        {
            FreezeKillThaw(V1Dir("freezer"));
        }
        else
        {
            throw new CgroupException("Neither cgroup.kill nor a freezer is available: the job's processes cannot all be killed.");
        }

        return WaitUntilEmpty(KillWait);
    }

    /// <summary>The v1 way to kill a whole cgroup; internal so that the tests exercise it on hosts that have cgroup.kill too.</summary>
    internal static void FreezeKillThaw(string freezer)
    {
        CgroupFs.Write(freezer + "/freezer.state", "FROZEN");
        try
        {
            // FREEZING until every task has stopped; a task in uninterruptible sleep can hold that up for a while.
            long deadline = Environment.TickCount64 + 5000;
            while (CgroupFs.TryRead(freezer + "/freezer.state")?.Trim() != "FROZEN" && Environment.TickCount64 < deadline)
            {
                CgroupFs.Nap(5);
            }

            foreach (int pid in Pids(freezer))
            {
                _ = kill(pid, SIGKILL);
            }
        }
        finally
        {
            CgroupFs.Write(freezer + "/freezer.state", "THAWED");
        }
    }

    /// <summary>Waits, polling, until no process is left (or <paramref name="wait"/> passes).</summary>
    public bool WaitUntilEmpty(TimeSpan wait)
    {
        long deadline = Environment.TickCount64 + (long)wait.TotalMilliseconds;
        while (IsPopulated())
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            CgroupFs.Nap(10);
        }

        return true;
    }

    /// <summary>Removes the job's (empty) cgroups, deepest first. False when one is still busy.</summary>
    public bool Remove()
    {
        bool removed = true;
        foreach (string controller in CgroupHost.V1Controllers.Where(host.V1.ContainsKey))
        {
            removed &= RemoveTree(V1Dir(controller));
        }

        if (UnifiedDir is { } unified)
        {
            removed &= RemoveTree(unified);
        }

        return removed;
    }

    /// <summary>rmdir of a cgroup and, first, of every cgroup below it (podman's own, on v2). cgroupfs holds no links.</summary>
    private static bool RemoveTree(string dir)
    {
        if (!CgroupFs.IsDir(dir))
        {
            return true;
        }

        bool removed = true;
        foreach (string child in Directory.EnumerateDirectories(dir))
        {
            removed &= RemoveTree(child);
        }

        return removed && CgroupFs.TryRemove(dir);
    }

    private static List<int> Pids(string dir) =>
        [.. (CgroupFs.TryRead(dir + "/cgroup.procs") ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => int.Parse(p, NumberStyles.None, CultureInfo.InvariantCulture))];

    /// <summary>The number after <paramref name="key"/> in a "key value" per line file (cgroup.events, cpu.stat, ...).</summary>
    private static long? Field(string? text, string key)
    {
        foreach (string line in (text ?? "").Split('\n'))
        {
            string[] parts = line.Split(' ');
            if (parts.Length == 2 && parts[0] == key && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long value))
            {
                return value;
            }
        }

        return null;
    }

    private static long? Number(string? text) =>
        long.TryParse(text?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : null;
}
