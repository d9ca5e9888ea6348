using Portal.Launcher.Client;

namespace Portal.Web.Services.Gpus;

/// <summary>
/// The launcher policy's <c>cgroupParent</c> (from its self-test), so a GPU process found in a job cgroup is known as
/// that job's: where podman makes no cgroup of its own (rootless on cgroup v1), the job cgroup is the only trace of the
/// job. Read once, then again every <see cref="Refresh"/> (an administrator may move the parent); null while the
/// launcher cannot say, and then only the container id attributes a process.
/// </summary>
internal sealed partial class JobCgroupParentSource(ILauncher? launcher, TimeProvider clock, ILogger<JobCgroupParentSource> logger)
{
    /// <summary>How long an answer is used.</summary>
    public static readonly TimeSpan Refresh = TimeSpan.FromMinutes(5);

    // A slow launcher must not hold the caller (the dashboard's refresh) longer than this.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private readonly Lock _gate = new();
    private Task<string?>? _reading;
    private DateTimeOffset _readAt;

    public Task<string?> GetAsync(CancellationToken cancellationToken)
    {
        if (launcher is null)
        {
            return Task.FromResult<string?>(null);
        }

        lock (_gate)
        {
            DateTimeOffset now = clock.GetUtcNow();
            if (_reading is null || now - _readAt >= Refresh)
            {
                // One reading shared by every caller, not tied to any caller's cancellation; the last answer stands
                // while a new one fails.
                Task<string?>? previous = _reading;
                _reading = ReadAsync(previous);
                _readAt = now;
            }

            return _reading.WaitAsync(cancellationToken);
        }
    }

    private async Task<string?> ReadAsync(Task<string?>? previous)
    {
        string? before = previous is { IsCompletedSuccessfully: true } ? await previous : null;
        try
        {
            using var deadline = new CancellationTokenSource(Deadline);
            return (await launcher!.SelfTestAsync(deadline.Token))?.Policy?.CgroupParent ?? before;
        }
        catch (Exception e) when (e is LauncherException or OperationCanceledException)
        {
            LogUnreadable(e.Message);
            return before;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The launcher's self-test did not say where job cgroups live; GPU processes are matched to jobs by container id only: {Reason}")]
    private partial void LogUnreadable(string reason);
}
