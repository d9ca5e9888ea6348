using System.Globalization;

namespace Portal.Web.Services.Gpus;

/// <summary>A compute process on a GPU it was not given (<see cref="GpuOccupancy.IsForeign"/>), with the GPU's holder
/// when a job holds it.</summary>
public sealed record ForeignGpuProcess(string GpuUuid, GpuProcessInfo Process, GpuHolder? Holder)
{
    /// <summary>One case stays one case while the same process of the same account stays on the same GPU.</summary>
    public (string Gpu, int Pid, uint? Uid) Key => (GpuUuid, Process.Pid, Process.OwnerUid);

    /// <summary>The sentence the audit log and the portal's log keep.</summary>
    public string Describe()
    {
        string owner = Process.OwnerName is { } name
            ? $"{name} (uid {Process.OwnerUid?.ToString(CultureInfo.InvariantCulture)})"
            : Process.OwnerUid is { } uid ? $"uid {uid.ToString(CultureInfo.InvariantCulture)}" : "an account /proc no longer shows";
        string where = Holder is null
            ? "a GPU no job holds"
            : $"a GPU held by job {Holder.JobId.ToString(CultureInfo.InvariantCulture)} of {Holder.UserName}";
        string job = Process.JobId is { } other ? $", in job {other.ToString(CultureInfo.InvariantCulture)}" : ", outside any job";
        string memory = Process.UsedMemoryMiB is { } mib ? $", {mib.ToString(CultureInfo.InvariantCulture)} MiB" : "";
        return $"PID {Process.Pid.ToString(CultureInfo.InvariantCulture)} ({Process.ProcessName}) of {owner}{job}, computes on {where}{memory}.";
    }

    /// <summary>Every foreign process in <paramref name="occupancy"/>, GPU by GPU.</summary>
    public static IReadOnlyList<ForeignGpuProcess> In(GpuOccupancy occupancy)
    {
        ArgumentNullException.ThrowIfNull(occupancy);
        return [.. occupancy.Processes.OrderBy(p => p.Key, StringComparer.Ordinal)
            .SelectMany(gpu =>
            {
                GpuHolder? holder = occupancy.HolderOf(gpu.Key);
                return gpu.Value.Where(process => GpuOccupancy.IsForeign(process, holder))
                    .Select(process => new ForeignGpuProcess(gpu.Key, process, holder));
            })];
    }
}
