using Portal.Core.Gpus;
using Portal.Data.Jobs;
using Portal.Launcher.Client;

namespace Portal.Jobs;

/// <summary>
/// Copies the GPU monitor's inventory (what nvidia-smi reports, by UUID) into the database the scheduler reads.
/// Only a reading counts: while nvidia-smi has not answered yet, is failing, or is not installed, the stored inventory
/// stays as it is (GPUs missing from a reading are marked not present, and nothing is placed on them). Without a driver
/// an administrator drains GPUs that are really gone; a missing nvidia-smi alone must not empty the ledger's GPUs.
/// A GPU's MIG instances are stored as GPUs of their own (<see cref="GpuStore.UpsertGpusAsync"/>).
/// Then the ledger is held to the launcher's policy (<see cref="GpuStore.MatchLauncherPolicyAsync"/>): a GPU the
/// policy does not name is kept out of service, since the launcher would refuse a job placed on it.
/// </summary>
internal sealed partial class GpuInventorySync(
    GpuStore store, IServiceProvider services, TimeProvider timeProvider, ILogger<GpuInventorySync> logger)
{
    /// <summary>How often the launcher's policy is read again while the inventory stays the same: an administrator
    /// who adds a GPU to the policy sees it given out within this time.</summary>
    internal static readonly TimeSpan PolicyRefresh = TimeSpan.FromMinutes(1);

    // The self-test behind the reading runs podman --version and reads the driver's files: seconds at most.
    private static readonly TimeSpan PolicyReadLimit = TimeSpan.FromSeconds(15);

    private string? _lastSynced;
    private DateTimeOffset _policyReadAt = DateTimeOffset.MinValue;

    public async Task SyncAsync(CancellationToken cancellationToken)
    {
        // The monitor is optional: a host without it keeps whatever inventory the database has.
        if (services.GetService(typeof(IGpuInventorySource)) is not IGpuInventorySource source)
        {
            return;
        }

        var snapshot = source.CurrentSnapshot;
        if (snapshot.Status != GpuDiscoveryStatus.Available)
        {
            return;
        }

        var devices = snapshot.Devices;

        // Write only when something changed: the pass runs every few seconds, the inventory almost never changes.
        // MIG instances count: creating or destroying one changes what the scheduler may give out.
        var fingerprint = string.Join("\n", devices.Select(d =>
            $"{d.Uuid} {d.Index} {d.Name} {d.MemoryTotalMiB} {d.PciBusId} {d.DeviceNode} {string.Join(',', d.MigDevices.Select(m => $"{m.Uuid}={m.Profile}"))}"));
        bool changed = fingerprint != _lastSynced;
        if (changed)
        {
            await store.UpsertGpusAsync(devices, cancellationToken);
            _lastSynced = fingerprint;
        }

        if (changed || timeProvider.GetUtcNow() - _policyReadAt >= PolicyRefresh)
        {
            await MatchPolicyAsync(cancellationToken);
        }
    }

    private async Task MatchPolicyAsync(CancellationToken cancellationToken)
    {
        if (services.GetService(typeof(ILauncher)) is not ILauncher launcher)
        {
            return;
        }

        // A failed or slow reading changes nothing (a launcher that cannot answer starts no job either) and is tried
        // again after PolicyRefresh, so a broken launcher does not cost every scheduling pass a process or a wait.
        _policyReadAt = timeProvider.GetUtcNow();
        IReadOnlyList<string>? named;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(PolicyReadLimit);
        try
        {
            named = await launcher.PolicyGpusAsync(deadline.Token);
        }
        catch (LauncherException e)
        {
            LogPolicyUnreadable(e.Message);
            return;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            LogPolicyUnreadable($"no answer within {PolicyReadLimit.TotalSeconds} s");
            return;
        }

        if (named is null)
        {
            return;
        }

        foreach (var change in await store.MatchLauncherPolicyAsync(named, cancellationToken))
        {
            if (change.KeptOut)
            {
                LogKeptOut(change.GpuUuid);
            }
            else
            {
                LogReturned(change.GpuUuid);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "GPU {Uuid} is not named by the launcher policy: drained, no job is placed on it")]
    private partial void LogKeptOut(string uuid);

    [LoggerMessage(Level = LogLevel.Information, Message = "GPU {Uuid} is named by the launcher policy now: back in service")]
    private partial void LogReturned(string uuid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The launcher's policy could not be read to check the GPUs against it: {Reason}")]
    private partial void LogPolicyUnreadable(string reason);
}
