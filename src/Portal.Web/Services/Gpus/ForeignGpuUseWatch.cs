using Portal.Web.Services.Audit;

namespace Portal.Web.Services.Gpus;

/// <summary>
/// Writes an audit row (and a warning in the portal's log) for each new case of a process computing on a GPU it was
/// not given: on a free GPU, or on a held one outside the holder's job and account. The dashboard flags such a process
/// while it runs; the audit row keeps it for the administrator afterwards. A case is new the first time the monitor's
/// process reading shows it (after a portal restart, cases still running are recorded again, once); a reading that
/// failed changes nothing, so an nvidia-smi hiccup does not record every case again.
/// </summary>
/// <remarks>After recording them, <see cref="ForeignGpuProcessKiller"/> ends the new cases where this box's option and
/// launcher policy both say so.</remarks>
internal sealed partial class ForeignGpuUseWatch(
    GpuMonitor monitor, AuditLog audit, ForeignGpuProcessKiller killer, ILogger<ForeignGpuUseWatch> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        HashSet<(string, int, uint?)> seen = [];
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
                var now = ForeignGpuProcess.In(occupancy);
                var fresh = now.Where(f => !seen.Contains(f.Key)).ToList();
                foreach (var found in fresh)
                {
                    string detail = found.Describe();
                    LogForeign(found.GpuUuid, detail);
                    await RecordAsync(found.GpuUuid, detail, stoppingToken);
                }

                await killer.EndAsync(fresh, stoppingToken);

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "GPU {Gpu}: {Detail}")]
    private partial void LogForeign(string gpu, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not write the audit row for a foreign process on GPU {Gpu}: {Reason}")]
    private partial void LogAuditFailed(string gpu, string reason);
}
