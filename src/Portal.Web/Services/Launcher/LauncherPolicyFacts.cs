using Portal.Launcher.Client;
using Portal.Launcher.Protocol;

namespace Portal.Web.Services.Launcher;

/// <summary>
/// What the launcher policy decides that the portal must know (from the launcher's self-test): its <c>cgroupParent</c>,
/// so a GPU process found in a job cgroup is known as that job's (where podman makes no cgroup of its own, rootless on
/// cgroup v1, the job cgroup is the only trace of the job), and whether sessions run on the Slurm cluster, so the
/// portal never accepts a session the launcher would refuse. Read once, then again every <see cref="Refresh"/> (an
/// administrator may change the policy); null while the launcher cannot say.
/// </summary>
public sealed partial class LauncherPolicyFacts(ILauncher? launcher, TimeProvider clock, ILogger<LauncherPolicyFacts> logger)
{
    /// <summary>How long an answer is used.</summary>
    public static readonly TimeSpan Refresh = TimeSpan.FromMinutes(5);

    // A slow launcher must not hold the caller (the dashboard's refresh) longer than this.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    private readonly Lock _gate = new();
    private Task<PolicyFacts?>? _reading;
    private DateTimeOffset _readAt;

    public Task<PolicyFacts?> GetAsync(CancellationToken cancellationToken)
    {
        if (launcher is null)
        {
            return Task.FromResult<PolicyFacts?>(null);
        }

        lock (_gate)
        {
            DateTimeOffset now = clock.GetUtcNow();
            if (_reading is null || now - _readAt >= Refresh)
            {
                // One reading shared by every caller, not tied to any caller's cancellation; the last answer stands
                // while a new one fails.
                Task<PolicyFacts?>? previous = _reading;
                _reading = ReadAsync(previous);
                _readAt = now;
            }

            return _reading.WaitAsync(cancellationToken);
        }
    }

    private async Task<PolicyFacts?> ReadAsync(Task<PolicyFacts?>? previous)
    {
        PolicyFacts? before = previous is { IsCompletedSuccessfully: true } ? await previous : null;
        try
        {
            using var deadline = new CancellationTokenSource(Deadline);
            return (await launcher!.SelfTestAsync(deadline.Token))?.Policy ?? before;
        }
        catch (Exception e) when (e is LauncherException or OperationCanceledException)
        {
            LogUnreadable(e.Message);
            return before;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The launcher's self-test did not say what its policy allows; until it does, GPU processes are matched to jobs by container id only and sessions on a Slurm cluster are refused: {Reason}")]
    private partial void LogUnreadable(string reason);
}
