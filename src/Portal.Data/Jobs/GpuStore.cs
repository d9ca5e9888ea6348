using Microsoft.EntityFrameworkCore;
using Portal.Core.Gpus;
using Portal.Data.Entities.Jobs;

namespace Portal.Data.Jobs;

/// <summary>A stored GPU for the admin page: inventory, drain flag and the job holding it now. A MIG instance names
/// its GPU in <paramref name="ParentUuid"/>; a GPU split into present instances has <paramref name="HasMigInstances"/>
/// and is not given out itself.</summary>
public sealed record StoredGpu(
    string Uuid,
    int Index,
    string Name,
    long? MemoryTotalMiB,
    bool IsPresent,
    DateTimeOffset LastSeenAt,
    bool Drained,
    string? DrainedBy,
    DateTimeOffset? DrainedAt,
    string? DrainReason,
    long? HeldByJobId,
    string? ParentUuid = null,
    bool HasMigInstances = false);

/// <summary>A GPU's active ledger line with its job and owner, for the dashboard and the admin GPU page.</summary>
/// <param name="GpuUuid">The held GPU.</param>
/// <param name="JobId">The holding job.</param>
/// <param name="JobName">The job's name.</param>
/// <param name="OwnerId">The job's owner (portal account).</param>
/// <param name="OwnerUserName">The owner's portal user name.</param>
/// <param name="OwnerLinuxUserName">The Linux account the job runs as.</param>
/// <param name="OwnerUid">That account's UID, as bound to the portal account.</param>
/// <param name="ContainerId">The job's container id once it runs (processes in it belong to the job).</param>
public sealed record GpuHolding(
    string GpuUuid,
    long JobId,
    string JobName,
    Guid OwnerId,
    string OwnerUserName,
    string OwnerLinuxUserName,
    long? OwnerUid,
    string? ContainerId);

/// <summary>A drained GPU: who drained it, when and why.</summary>
public sealed record GpuDrain(string GpuUuid, string DrainedBy, DateTimeOffset? DrainedAt, string? Reason);

/// <summary>What <see cref="GpuStore.SetGpuDrainedAsync"/> did.</summary>
public enum GpuDrainOutcome
{
    Done,
    NoSuchGpu,

    /// <summary>An undrain of a GPU the launcher policy does not name: it stays drained.</summary>
    NotInLauncherPolicy,
}

/// <summary>A GPU that <see cref="GpuStore.MatchLauncherPolicyAsync"/> took out of service (<paramref name="KeptOut"/>)
/// or returned to it.</summary>
public sealed record PolicyDrainChange(string GpuUuid, bool KeptOut);

/// <summary>The GPU inventory in the database: what discovery found, and the administrators' drain flags.</summary>
public sealed class GpuStore(IDbContextFactory<PortalDbContext> contextFactory, TimeProvider timeProvider)
{
    /// <summary>
    /// Records the GPUs discovery found now: new ones are added, known ones get their index and name refreshed, and
    /// known ones missing from <paramref name="devices"/> are marked not present (kept, since the ledger refers to
    /// them; the scheduler places nothing on them). Drain flags are kept. A GPU's MIG instances get rows of their own
    /// (see <see cref="Allocatable"/>): MIG turned off marks them not present like any GPU that went away.
    /// </summary>
    public async Task UpsertGpusAsync(IEnumerable<GpuDevice> devices, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(devices);
        var entries = devices.SelectMany(LedgerEntries).ToList();
        var found = entries.Select(e => e.Uuid).ToHashSet(StringComparer.Ordinal);
        var now = timeProvider.GetUtcNow();
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var known = await db.Gpus.ToDictionaryAsync(g => g.Uuid, StringComparer.Ordinal, cancellationToken);
        foreach (var gpu in known.Values)
        {
            gpu.IsPresent = found.Contains(gpu.Uuid);
        }

        foreach (var entry in entries)
        {
            if (!known.TryGetValue(entry.Uuid, out var gpu))
            {
                gpu = new GpuRecord { Uuid = entry.Uuid, Name = entry.Name };
                db.Gpus.Add(gpu);
                known[entry.Uuid] = gpu;
            }

            gpu.Index = entry.Index;
            gpu.Name = entry.Name;
            gpu.MemoryTotalMiB = entry.MemoryTotalMiB;
            gpu.PciBusId = entry.PciBusId;
            gpu.DeviceNode = entry.DeviceNode;
            gpu.ParentUuid = entry.ParentUuid;
            gpu.IsPresent = true;
            gpu.LastSeenAt = now;
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>
    /// The GPUs that can be given to jobs: present ones, except a GPU split into MIG instances (its instances are
    /// given instead: CUDA runs only inside them) and, while the ledger still holds one side, the other side of a
    /// parent and its instances (MIG switched on or off under a job), so that no GPU ever serves two jobs at once.
    /// </summary>
    internal static IQueryable<GpuRecord> Allocatable(PortalDbContext db)
    {
        var held = db.GpuAllocations.Where(a => a.ReleasedAt == null).Select(a => a.GpuUuid);
        return db.Gpus.Where(g => g.IsPresent
            && !db.Gpus.Any(c => c.ParentUuid == g.Uuid && (c.IsPresent || held.Contains(c.Uuid)))
            && (g.ParentUuid == null || !held.Contains(g.ParentUuid)));
    }

    /// <summary>The GPUs a job may ask for by count or by UUID: present, and not split into MIG instances. Unlike
    /// <see cref="Allocatable"/> it does not depend on what jobs hold, so a submission is not refused for a moment's
    /// hold.</summary>
    internal static IQueryable<GpuRecord> Offered(PortalDbContext db) =>
        db.Gpus.Where(g => g.IsPresent && !db.Gpus.Any(c => c.ParentUuid == g.Uuid && c.IsPresent));

    // A whole GPU, then each of its MIG instances: named by its MIG UUID, on the GPU's device node (the launcher adds
    // the instance's /dev/nvidia-caps nodes from its policy), with the memory its profile names.
    private static IEnumerable<GpuRecord> LedgerEntries(GpuDevice device)
    {
        yield return new GpuRecord
        {
            Uuid = device.Uuid, Index = device.Index, Name = device.Name, MemoryTotalMiB = device.MemoryTotalMiB,
            PciBusId = device.PciBusId, DeviceNode = device.DeviceNode,
        };
        foreach (var mig in device.MigDevices)
        {
            yield return new GpuRecord
            {
                Uuid = mig.Uuid, Index = device.Index, Name = mig.NameOn(device.Name), MemoryTotalMiB = mig.NominalMemoryMiB,
                PciBusId = device.PciBusId, DeviceNode = device.DeviceNode, ParentUuid = device.Uuid,
            };
        }
    }

    /// <summary>Who a drain made by <see cref="MatchLauncherPolicyAsync"/> names: no person, so no person's drain is
    /// ever lifted by it.</summary>
    public const string LauncherPolicyDrainer = "launcher policy";

    /// <summary>
    /// Keeps out of service every GPU the ledger would give out but the launcher's policy does not name (a job placed
    /// on it would be refused at start: a GPU or MIG instance created after the install wrote the policy), and returns
    /// to service those it drained once the policy names them. Drains made by an administrator are left alone, and a
    /// GPU split into MIG instances is skipped (its instances are given out, not it). Returns the GPUs whose drain changed.
    /// </summary>
    /// <param name="named">The ids the launcher policy names.</param>
    /// <param name="cancellationToken">Cancels the database work.</param>
    public async Task<IReadOnlyList<PolicyDrainChange>> MatchLauncherPolicyAsync(
        IReadOnlyCollection<string> named, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(named);
        var policy = named.ToHashSet(StringComparer.Ordinal);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var offered = await Offered(db).ToListAsync(cancellationToken);
        var now = timeProvider.GetUtcNow();
        List<PolicyDrainChange> changed = [];
        foreach (var gpu in offered)
        {
            bool inPolicy = policy.Contains(gpu.Uuid);
            if (!inPolicy && !gpu.Drained)
            {
                gpu.Drained = true;
                gpu.DrainedBy = LauncherPolicyDrainer;
                gpu.DrainedAt = now;
                gpu.DrainReason = "The launcher policy does not name this GPU, so a job given it would be refused at start. "
                    + "Add it to the policy's gpus (deploy/gpu-policy.sh prints the entry of every GPU and MIG instance of "
                    + "this host); it returns to service on its own once the policy names it.";
                changed.Add(new PolicyDrainChange(gpu.Uuid, KeptOut: true));
            }
            else if (inPolicy && gpu.Drained && gpu.DrainedBy == LauncherPolicyDrainer)
            {
                gpu.Drained = false;
                gpu.DrainedBy = null;
                gpu.DrainedAt = null;
                gpu.DrainReason = null;
                changed.Add(new PolicyDrainChange(gpu.Uuid, KeptOut: false));
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        return changed;
    }

    /// <summary>Drains a GPU (running jobs finish, nothing new lands on it) or returns it to service. A GPU kept out of
    /// service because the launcher policy does not name it is not returned by hand (the launcher would refuse a job
    /// on it); it returns on its own once the policy names it (<see cref="MatchLauncherPolicyAsync"/>).</summary>
    /// <param name="uuid">The GPU.</param>
    /// <param name="drained">True to drain, false to undrain.</param>
    /// <param name="by">The administrator's name.</param>
    /// <param name="reason">Why, for the GPU page; ignored when undraining.</param>
    /// <param name="cancellationToken">Cancels the database work.</param>
    public async Task<GpuDrainOutcome> SetGpuDrainedAsync(
        string uuid, bool drained, string by, string? reason, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(uuid);
        ArgumentException.ThrowIfNullOrEmpty(by);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var gpu = await db.Gpus.SingleOrDefaultAsync(g => g.Uuid == uuid, cancellationToken);
        if (gpu is null)
        {
            return GpuDrainOutcome.NoSuchGpu;
        }

        if (!drained && gpu.Drained && gpu.DrainedBy == LauncherPolicyDrainer)
        {
            return GpuDrainOutcome.NotInLauncherPolicy;
        }

        gpu.Drained = drained;
        gpu.DrainedBy = drained ? by : null;
        gpu.DrainedAt = drained ? timeProvider.GetUtcNow() : null;
        gpu.DrainReason = drained ? reason : null;
        await db.SaveChangesAsync(cancellationToken);
        return GpuDrainOutcome.Done;
    }

    /// <summary>Every GPU ever seen, by index (a GPU's MIG instances right after it), with the job that holds it now.</summary>
    public async Task<IReadOnlyList<StoredGpu>> ListGpusAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Gpus.AsNoTracking()
            .OrderByDescending(g => g.IsPresent).ThenBy(g => g.Index).ThenBy(g => g.ParentUuid != null).ThenBy(g => g.Uuid)
            .Select(g => new StoredGpu(
                g.Uuid, g.Index, g.Name, g.MemoryTotalMiB, g.IsPresent, g.LastSeenAt, g.Drained, g.DrainedBy, g.DrainedAt,
                g.DrainReason,
                db.GpuAllocations.Where(a => a.GpuUuid == g.Uuid && a.ReleasedAt == null).Select(a => (long?)a.JobId).FirstOrDefault(),
                g.ParentUuid,
                db.Gpus.Any(c => c.ParentUuid == g.Uuid && c.IsPresent)))
            .ToListAsync(cancellationToken);
    }

    /// <summary>Every unreleased ledger line with its job and owner, read in one query.</summary>
    public async Task<IReadOnlyList<GpuHolding>> ListHoldingsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await (
                from a in db.GpuAllocations.AsNoTracking()
                where a.ReleasedAt == null
                join j in db.Jobs.AsNoTracking() on a.JobId equals j.Id
                join u in db.Users.AsNoTracking() on j.OwnerId equals u.Id
                orderby a.GpuUuid
                select new GpuHolding(a.GpuUuid, j.Id, j.Name, j.OwnerId, u.UserName ?? j.OwnerLinuxUserName, j.OwnerLinuxUserName, u.LinuxUid, j.ContainerId))
            .ToListAsync(cancellationToken);
    }

    /// <summary>The drained GPUs.</summary>
    public async Task<IReadOnlyList<GpuDrain>> ListDrainsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.Gpus.AsNoTracking()
            .Where(g => g.Drained)
            .Select(g => new GpuDrain(g.Uuid, g.DrainedBy ?? "", g.DrainedAt, g.DrainReason))
            .ToListAsync(cancellationToken);
    }
}
