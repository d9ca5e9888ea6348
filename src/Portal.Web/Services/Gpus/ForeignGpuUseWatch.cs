using Portal.Data.Notifications;
using Portal.Web.Services.Audit;

namespace Portal.Web.Services.Gpus;

/// <summary>
/// Writes an audit row (and a warning in the portal's log) for each new case of a process computing on a GPU it was
/// not given: on a free GPU, or on a held one outside the holder's job and account. The dashboard flags such a process
/// while it runs; the audit row keeps it for the administrator afterwards, and every administrator is notified
/// (<see cref="Core.Notifications.NotificationKinds.ForeignGpuProcess"/>) with what came of it. A case is one process
/// (pid and start time, so a reused pid is a new case) of one account on one GPU; it is new the first time the
/// monitor's process reading shows it (after a portal restart, cases still running are recorded and told again, once);
/// a reading that failed changes nothing, so an nvidia-smi hiccup does not record every case again.
/// </summary>
/// <remarks>After recording them, <see cref="ForeignGpuProcessKiller"/> ends the new cases where this box's option and
/// launcher policy both say so; the notification says whether it did.</remarks>
internal sealed partial class ForeignGpuUseWatch(
    GpuMonitor monitor, AuditLog audit, ForeignGpuProcessKiller killer, SystemNotifications notifications, ILogger<ForeignGpuUseWatch> logger)
    : BackgroundService
{
    /// <summary>What the notification says when this box does not end foreign processes.</summary>
    internal const string LeftRunning = "Left running: this box does not end foreign processes (the portal's option or the launcher's policy is off).";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        HashSet<((string, int, uint?), ulong?)> seen = [];
        GpuOccupancy? last = null;
        try
        {
            await foreach (var frame in monitor.WatchAsync(stoppingToken))
            {
                // Frames come every second; the process reading behind them only every ProcessRefresh.
                var occupancy = frame.Occupancy;
                if (ReferenceEquals(occupancy, last) || ReferenceEquals(occupancy, GpuOccupancy.None) || occupancy.Problem is not null)
                {
                    continue;
                }

                last = occupancy;
                // A process gone from /proc has no start time: it keeps the key it had (null) until the driver drops it.
                var now = ForeignGpuProcess.In(occupancy)
                    .Select(f => (Found: f, Key: (f.Key, ProcessStartTime.Read(killer.ProcRoot, f.Process.Pid)))).ToList();
                var fresh = now.Where(f => !seen.Contains(f.Key)).Select(f => f.Found).ToList();
                foreach (var found in fresh)
                {
                    string detail = found.Describe();
                    LogForeign(found.GpuUuid, detail);
                    await RecordAsync(found.GpuUuid, detail, stoppingToken);
                }

                var outcomes = await killer.EndAsync(fresh, stoppingToken);
                foreach (var found in fresh)
                {
                    var outcome = outcomes.TryGetValue(found.Process.Pid, out var said) ? said : LeftRunning;
                    await NotifyAsync(found.GpuUuid, $"{found.Describe()} {outcome}", stoppingToken);
                }

                seen = [.. now.Select(f => f.Key)];
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The portal is stopping.
        }
    }

    private async Task RecordAsync(string gpu, string detail, CancellationToken cancellationToken)
    {
        try
        {
            await audit.WriteAsync(AuditActions.GpuForeignProcess, AuditActor.System, succeeded: true, gpu, detail, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The database being away must not end the watch; the log line above keeps the case.
            LogAuditFailed(gpu, e.Message);
        }
    }

    private async Task NotifyAsync(string gpu, string detail, CancellationToken cancellationToken)
    {
        try
        {
            await notifications.NotifyForeignGpuProcessAsync(gpu, detail, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // As with the audit row: the log line keeps the case.
            LogNotifyFailed(gpu, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not notify the administrators of a foreign process on GPU {Gpu}: {Reason}")]
    private partial void LogNotifyFailed(string gpu, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "GPU {Gpu}: {Detail}")]
    private partial void LogForeign(string gpu, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the audit row for a foreign process on GPU {Gpu}: {Reason}")]
    private partial void LogAuditFailed(string gpu, string reason);
}
