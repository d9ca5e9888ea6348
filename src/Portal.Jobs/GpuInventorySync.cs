using Portal.Core.Gpus;
using Portal.Data.Jobs;

namespace Portal.Jobs;

/// <summary>
/// Copies the GPU monitor's inventory (what nvidia-smi reports, by UUID) into the database the scheduler reads.
/// Only a reading counts: while nvidia-smi has not answered yet, is failing, or is not installed, the stored inventory
/// stays as it is (GPUs missing from a reading are marked not present, and nothing is placed on them). Without a driver
/// an administrator drains GPUs that are really gone; a missing nvidia-smi alone must not empty the ledger's GPUs.
/// A GPU's MIG instances are stored as GPUs of their own (<see cref="GpuStore.UpsertGpusAsync"/>).
/// </summary>
internal sealed class GpuInventorySync(GpuStore store, IServiceProvider services)
{
    private string? _lastSynced;

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
        if (fingerprint == _lastSynced)
        {
            return;
        }

        await store.UpsertGpusAsync(devices, cancellationToken);
        _lastSynced = fingerprint;
    }
}
