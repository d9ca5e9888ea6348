using Microsoft.EntityFrameworkCore;
using Portal.Core.Jobs;

namespace Portal.Data.Jobs;

/// <summary>One of an owner's jobs with the image it names, for the Images page's "used by".</summary>
public sealed record JobImageUse(long Id, string Name, string Image, JobState State);

public sealed partial class JobStore
{
    /// <summary>The owner's jobs (newest first) with the image each names, as typed at submit.</summary>
    public async Task<IReadOnlyList<JobImageUse>> ListImageUseAsync(Guid ownerId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Jobs.AsNoTracking().Where(j => j.OwnerId == ownerId).OrderByDescending(j => j.Id)
            .Select(j => new { j.Id, j.Name, j.Image, j.State }).ToListAsync(cancellationToken);
        return rows.ConvertAll(r => new JobImageUse(r.Id, r.Name, r.Image, JobMapper.ToDomain(r.State)));
    }
}
