using System.Data.Common;
using Portal.Data.Jobs;

namespace Portal.Web.Services.Gpus;

/// <summary>
/// Holders from the GPU ledger (the unreleased allocations: job and owner per GPU) and drain flags from the GPU
/// inventory, joined with the processes the driver reports: a process inside a holding job's container carries the
/// job's id, so the dashboard can flag whatever runs on a GPU outside the job that holds it.
/// </summary>
internal sealed class LedgerHolderSource(GpuStore gpus, GpuProcessReader processes) : IGpuHolderSource
{
    public async Task<GpuOccupancy> ReadAsync(CancellationToken cancellationToken)
    {
        var problems = new List<string>();
        IReadOnlyList<GpuHolding> holdings = [];
        IReadOnlyList<GpuDrain> drains = [];
        try
        {
            holdings = await gpus.ListHoldingsAsync(cancellationToken);
            drains = await gpus.ListDrainsAsync(cancellationToken);
        }
        catch (DbException e)
        {
            // Without the ledger the processes are still worth showing; the board says holders are unknown.
            problems.Add($"Could not read the GPU ledger, so holders are not shown: {e.Message}");
        }

        var jobIdByContainerId = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var holding in holdings)
        {
            if (holding.ContainerId is { Length: > 0 } id)
            {
                jobIdByContainerId[id] = holding.JobId;
            }
        }

        IReadOnlyDictionary<string, IReadOnlyList<GpuProcessInfo>> byGpu = new Dictionary<string, IReadOnlyList<GpuProcessInfo>>();
        try
        {
            byGpu = await processes.ReadAsync(jobIdByContainerId, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
        {
            problems.Add($"Could not list the processes on the GPUs: {e.Message}");
        }

        var holders = new Dictionary<string, GpuHolder>(StringComparer.Ordinal);
        foreach (var h in holdings)
        {
            uint? uid = h.OwnerUid is >= 0 and <= uint.MaxValue ? (uint)h.OwnerUid.Value : null;
            holders[h.GpuUuid] = new GpuHolder(h.OwnerUserName, uid, h.JobId, h.JobName);
        }

        return new GpuOccupancy(holders, byGpu, problems.Count == 0 ? null : string.Join(" ", problems))
        {
            Drains = drains.ToDictionary(d => d.GpuUuid, d => new GpuDrainNote(d.DrainedBy, d.Reason), StringComparer.Ordinal),
        };
    }
}
