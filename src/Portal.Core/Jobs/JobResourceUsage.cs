using System.Globalization;

namespace Portal.Core.Jobs;

/// <summary>
/// What a job used, as the kernel counted it in the job's own cgroup (every process of the job, podman's start of it
/// included), read when the job ended.
/// </summary>
/// <param name="CpuSeconds">CPU time of all of the job's processes.</param>
/// <param name="PeakMemoryBytes">The most memory the job held at once; null where the kernel keeps no peak.</param>
/// <param name="OomKills">Processes the kernel's OOM killer ended inside the job's cgroup: above 0, the job hit its
/// memory limit.</param>
public sealed record JobResourceUsage(double CpuSeconds, long? PeakMemoryBytes, long OomKills)
{
    /// <summary>True when the job ran out of its memory limit (a process of it was OOM-killed).</summary>
    public bool RanOutOfMemory => OomKills > 0;

    /// <summary>The reason a job that hit its memory limit failed, as its history, the API and the CLI show it:
    /// "out of memory: limit 64 MiB".</summary>
    /// <param name="limitBytes">The limit the kernel enforced, when known.</param>
    /// <param name="requestedMiB">The job's <see cref="JobSpec.MemoryMiB"/>, when the enforced limit is not known.</param>
    public static string OutOfMemoryReason(long? limitBytes, long requestedMiB)
    {
        var mib = limitBytes is { } bytes ? (bytes + (1L << 20) - 1) >> 20 : requestedMiB;
        return "out of memory: limit " + mib.ToString(CultureInfo.InvariantCulture) + " MiB";
    }
}
