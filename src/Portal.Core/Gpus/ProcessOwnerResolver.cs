using System.Globalization;
using System.Text.RegularExpressions;

namespace Portal.Core.Gpus;

/// <summary>
/// Maps host PIDs (as nvidia-smi reports them) to their user and podman container through <c>/proc</c>.
/// The container comes from the cgroup path, not the environment: podman puts every container process under a
/// cgroup named <c>libpod-&lt;64 hex id&gt;</c> (a <c>.scope</c> with systemd, a plain folder with cgroupfs),
/// which the process cannot change, whereas its environment is the user's to forge.
/// </summary>
/// <param name="procRoot">The proc file system root; tests point it at a folder of their own.</param>
public sealed partial class ProcessOwnerResolver(string procRoot = "/proc")
{
    /// <summary>The owner of <paramref name="pid"/>, or null when the process is gone or unreadable.</summary>
    /// <param name="pid">The host PID.</param>
    /// <param name="jobCgroupParent">The launcher policy's <c>cgroupParent</c>, when known: a process in a job cgroup
    /// under it carries that job.</param>
    public ProcessOwner? Resolve(int pid, string? jobCgroupParent = null)
    {
        var folder = Path.Combine(procRoot, pid.ToString(CultureInfo.InvariantCulture));
        try
        {
            var uid = ReadRealUid(Path.Combine(folder, "status"));
            if (uid is null)
            {
                return null;
            }

            var cgroupPath = Path.Combine(folder, "cgroup");
            var cgroups = File.Exists(cgroupPath) ? File.ReadAllText(cgroupPath) : "";
            var jobId = string.IsNullOrEmpty(jobCgroupParent) ? null : JobCgroupPath.JobId(cgroups, jobCgroupParent);
            return new ProcessOwner(pid, uid.Value, FindContainerId(cgroups), jobId);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process ended between nvidia-smi's report and now, or hidepid hides it: nothing to attribute.
            return null;
        }
    }

    /// <summary>Attributes each GPU process to its owner and job.</summary>
    /// <param name="processes">What nvidia-smi reported.</param>
    /// <param name="jobIdByContainerId">The portal's running jobs by full container id.</param>
    /// <param name="jobCgroupParent">The launcher policy's <c>cgroupParent</c>, when known.</param>
    public IReadOnlyList<AttributedGpuProcess> Attribute(
        IEnumerable<GpuProcess> processes, IReadOnlyDictionary<string, long> jobIdByContainerId, string? jobCgroupParent = null)
    {
        ArgumentNullException.ThrowIfNull(processes);
        ArgumentNullException.ThrowIfNull(jobIdByContainerId);
        var result = new List<AttributedGpuProcess>();
        foreach (var process in processes)
        {
            var owner = Resolve(process.Pid, jobCgroupParent);
            long? jobId = owner?.ContainerId is { } id && jobIdByContainerId.TryGetValue(id, out var found) ? found : owner?.CgroupJobId;
            result.Add(new AttributedGpuProcess(process, owner, jobId));
        }

        return result;
    }

    /// <summary>The podman container id in the text of a <c>/proc/&lt;pid&gt;/cgroup</c> file (v1 or v2), or null.</summary>
    public static string? FindContainerId(string cgroupFile)
    {
        ArgumentNullException.ThrowIfNull(cgroupFile);
        var match = LibpodCgroup().Match(cgroupFile);
        return match.Success ? match.Groups["id"].Value : null;
    }

    private static uint? ReadRealUid(string statusPath)
    {
        foreach (var line in File.ReadLines(statusPath))
        {
            // "Uid:\t<real>\t<effective>\t<saved>\t<fs>": the real uid is who started it.
            if (!line.StartsWith("Uid:", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = line["Uid:".Length..].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return parts.Length > 0 && uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var uid)
                ? uid
                : null;
        }

        return null;
    }

    // conmon lives in "libpod-conmon-<id>.scope": that is the monitor, not the container, so it must not match.
    [GeneratedRegex(@"libpod-(?<id>[0-9a-f]{64})(?:\.scope)?(?:/|$|\n)", RegexOptions.Multiline)]
    private static partial Regex LibpodCgroup();
}
