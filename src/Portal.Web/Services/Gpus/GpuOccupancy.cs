namespace Portal.Web.Services.Gpus;

/// <summary>The job that holds a GPU in the ledger.</summary>
/// <param name="UserName">The portal user who owns the job.</param>
/// <param name="Uid">The UID of the Linux account the job runs as (null if the account is no longer bound).</param>
/// <param name="JobId">The job's id.</param>
/// <param name="JobName">The job's display name, when it has one.</param>
public sealed record GpuHolder(string UserName, uint? Uid, long JobId, string? JobName);

/// <summary>A compute process on a GPU with whatever is known of its owner.</summary>
/// <param name="Pid">The host PID.</param>
/// <param name="ProcessName">The executable as the driver names it.</param>
/// <param name="UsedMemoryMiB">GPU memory it holds, when the driver says.</param>
/// <param name="OwnerUid">Its real UID, or null when /proc no longer shows the process.</param>
/// <param name="OwnerName">The account name of <paramref name="OwnerUid"/>, when it resolves.</param>
/// <param name="JobId">The portal job whose container runs it, or null.</param>
public sealed record GpuProcessInfo(int Pid, string ProcessName, long? UsedMemoryMiB, uint? OwnerUid, string? OwnerName, long? JobId);

/// <summary>An administrator's drain of a GPU: jobs on it finish, nothing new is placed on it.</summary>
/// <param name="By">The administrator.</param>
/// <param name="Reason">Why, when they said.</param>
public sealed record GpuDrainNote(string By, string? Reason);

/// <summary>Who holds each GPU, what runs on each and which are drained, keyed by GPU UUID.</summary>
/// <param name="Holders">The holding job per GPU; a GPU missing here is free.</param>
/// <param name="Processes">The compute processes per GPU; a GPU missing here runs none.</param>
/// <param name="Problem">Why the processes could not be read this time, or null.</param>
public sealed record GpuOccupancy(
    IReadOnlyDictionary<string, GpuHolder> Holders,
    IReadOnlyDictionary<string, IReadOnlyList<GpuProcessInfo>> Processes,
    string? Problem)
{
    public static GpuOccupancy None { get; } = new(
        new Dictionary<string, GpuHolder>(), new Dictionary<string, IReadOnlyList<GpuProcessInfo>>(), null);

    /// <summary>The drained GPUs; a GPU missing here is in service.</summary>
    public IReadOnlyDictionary<string, GpuDrainNote> Drains { get; init; } = new Dictionary<string, GpuDrainNote>();

    public GpuHolder? HolderOf(string uuid) => Holders.GetValueOrDefault(uuid);

    public GpuDrainNote? DrainOf(string uuid) => Drains.GetValueOrDefault(uuid);

    public IReadOnlyList<GpuProcessInfo> ProcessesOn(string uuid) => Processes.GetValueOrDefault(uuid) ?? [];

    /// <summary>
    /// Whether <paramref name="process"/> does not belong on a GPU held by <paramref name="holder"/>: anything on a
    /// free GPU, and on a held one anything that is neither in the holder's job nor run by the holder's account.
    /// Such a process bypassed the portal (or outlived its job) and competes with the job for the GPU.
    /// </summary>
    public static bool IsForeign(GpuProcessInfo process, GpuHolder? holder)
    {
        ArgumentNullException.ThrowIfNull(process);
        if (holder is null)
        {
            return true;
        }

        var inTheJob = process.JobId == holder.JobId;
        var byTheHolder = holder.Uid is { } uid && process.OwnerUid == uid;
        return !inTheJob && !byTheHolder;
    }
}

/// <summary>
/// Where the dashboard learns who holds each GPU and what runs on it: <see cref="LedgerHolderSource"/> in the portal
/// (holders from the PostgreSQL ledger, processes from the driver).
/// </summary>
public interface IGpuHolderSource
{
    /// <summary>Reads holders and processes now. Called every <see cref="GpuMonitorOptions.ProcessRefresh"/>
    /// while the driver reports GPUs.</summary>
    Task<GpuOccupancy> ReadAsync(CancellationToken cancellationToken);
}
