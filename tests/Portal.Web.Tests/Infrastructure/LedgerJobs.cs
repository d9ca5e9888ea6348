using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Gpus;
using Portal.Core.Quotas;
using Portal.Data.Jobs;
using Portal.Data.Quotas;
using Portal.Web.Tests.Data;

namespace Portal.Web.Tests.Infrastructure;

/// <summary>
/// Jobs in the real store of a running portal that hold GPUs without a container. The owner's override allows no
/// concurrent job, so the portal's own scheduler never starts (and its launcher never touches) the job; the test
/// commits the start itself.
/// </summary>
public static class LedgerJobs
{
    /// <summary>Adds a GPU to the inventory, keeping the GPUs present so far (an upsert marks the GPUs it is not
    /// given as gone).</summary>
    public static async Task<string> AddGpuAsync(this PortalFactory portal, int index = 0)
    {
        string uuid = $"GPU-{Guid.NewGuid()}";
        await portal.AddToInventoryAsync(new GpuDevice(index, uuid, "Test GPU", 81920, null, $"/dev/nvidia{index}", []));
        return uuid;
    }

    /// <summary>Adds a GPU split into MIG instances of <paramref name="profiles"/>; returns its UUID and theirs.</summary>
    public static async Task<(string Gpu, IReadOnlyList<string> Instances)> AddMigGpuAsync(
        this PortalFactory portal, int index, params string[] profiles)
    {
        string uuid = $"GPU-{Guid.NewGuid()}";
        var migs = profiles.Select((p, i) => new MigDevice(uuid, i, $"MIG-{Guid.NewGuid()}", p)).ToList();
        await portal.AddToInventoryAsync(new GpuDevice(index, uuid, "NVIDIA H100 80GB HBM3", 81920, null, $"/dev/nvidia{index}", migs));
        return (uuid, [.. migs.Select(m => m.Uuid)]);
    }

    // Upserts the present GPUs (with their MIG instances, rebuilt from the stored rows) and one more.
    private static async Task AddToInventoryAsync(this PortalFactory portal, GpuDevice added)
    {
        GpuStore gpus = portal.Services.GetRequiredService<GpuStore>();
        var present = (await gpus.ListGpusAsync()).Where(g => g.IsPresent).ToList();
        var devices = present.Where(g => g.ParentUuid is null).Select(g => new GpuDevice(
            g.Index, g.Uuid, g.Name, g.MemoryTotalMiB, null, $"/dev/nvidia{g.Index}",
            [.. present.Where(m => m.ParentUuid == g.Uuid).Select((m, i) => new MigDevice(g.Uuid, i, m.Uuid, m.Name.Split(' ')[^1]))]));
        await gpus.UpsertGpusAsync([.. devices, added]);
    }

    /// <summary>A job of <paramref name="ownerId"/> that waits in the queue for ever (job limit 0).</summary>
    public static async Task<long> QueuedJobAsync(this PortalFactory portal, Guid ownerId, int gpus = 1, string name = "held")
    {
        await portal.Services.GetRequiredService<QuotaStore>().SetUserOverrideAsync(ownerId, new QuotaPolicy { MaxConcurrentJobs = 0 });
        return await JobStoreFixtures.SubmitAsync(portal.Services.GetRequiredService<JobStore>(), ownerId, JobStoreFixtures.Spec(gpus, name));
    }

    /// <summary>A Running job of <paramref name="ownerId"/> holding <paramref name="gpuUuid"/> in the ledger.</summary>
    public static async Task<long> RunningJobAsync(this PortalFactory portal, Guid ownerId, string gpuUuid, string name = "held")
    {
        JobStore store = portal.Services.GetRequiredService<JobStore>();
        long id = await portal.QueuedJobAsync(ownerId, 1, name);
        JobChangeResult started = await store.CommitStartAsync(id, [gpuUuid]);
        Assert.True(started.Applied, started.Message);
        JobChangeResult running = await store.MarkRunningAsync(id, new string('c', 64));
        Assert.True(running.Applied, running.Message);
        return id;
    }
}
