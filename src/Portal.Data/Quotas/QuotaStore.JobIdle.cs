using Microsoft.EntityFrameworkCore;
using Portal.Core.Reclaim;
using Portal.Data.Entities.Quotas;

namespace Portal.Data.Quotas;

// Idle reclaim of batch jobs: a quota group's policy (threshold, window, grace, action, keep), and each user's.
public sealed partial class QuotaStore
{
    /// <summary>A group's job idle policy; null when the group does not reclaim idle jobs. False in
    /// <c>Found</c> when there is no such group.</summary>
    public async Task<(bool Found, IdlePolicy? Policy)> GetGroupJobIdleAsync(int groupId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.QuotaGroups.AsNoTracking().Where(g => g.Id == groupId).SingleOrDefaultAsync(cancellationToken);
        return row is null ? (false, null) : (true, ToPolicy(row));
    }

    /// <summary>Replaces a group's job idle policy (null turns it off); false when there is no such group.</summary>
    public async Task<bool> SetGroupJobIdleAsync(int groupId, IdlePolicy? policy, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.QuotaGroups.Where(g => g.Id == groupId).ExecuteUpdateAsync(s => s
            .SetProperty(g => g.JobIdleWindow, policy == null ? null : policy.Window)
            .SetProperty(g => g.JobIdleThresholdPercent, policy == null ? null : policy.ThresholdPercent)
            .SetProperty(g => g.JobIdleGrace, policy == null ? null : policy.Grace)
            .SetProperty(g => g.JobIdleAction, policy == null ? null : policy.Action.ToString())
            .SetProperty(g => g.JobIdleKeepFor, policy == null ? null : policy.KeepFor)
            .SetProperty(g => g.UpdatedAt, timeProvider.GetUtcNow()), cancellationToken) > 0;
    }

    /// <summary>
    /// The job idle policy of each of <paramref name="userIds"/>; null for a user whose jobs are never reclaimed. As for
    /// sessions, membership grants and never takes away: a user is reclaimed only when every one of their groups sets a
    /// policy, and then each setting takes its most lenient value (<see cref="IdlePolicy.Resolve"/>). A user in no group
    /// is never reclaimed. One query, whatever the number of users.
    /// </summary>
    public async Task<IReadOnlyDictionary<Guid, IdlePolicy?>> ResolveJobIdleAsync(IReadOnlyCollection<Guid> userIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.QuotaGroupMembers.AsNoTracking()
            .Where(m => userIds.Contains(m.UserId))
            .Join(db.QuotaGroups, m => m.GroupId, g => g.Id, (m, g) => new { m.UserId, Group = g })
            .ToListAsync(cancellationToken);
        var byUser = rows.ToLookup(r => r.UserId, r => ToPolicy(r.Group));
        return userIds.Distinct().ToDictionary(id => id, id =>
        {
            var policies = byUser[id].ToList();
            return policies.Count == 0 || policies.Any(p => p is null) ? null : IdlePolicy.Resolve(null, policies.Select(p => p!));
        });
    }

    private static IdlePolicy? ToPolicy(QuotaGroupRecord g) =>
        g.JobIdleWindow is { } window && g.JobIdleThresholdPercent is { } threshold && g.JobIdleGrace is { } grace
            && Enum.TryParse<ReclaimAction>(g.JobIdleAction, out var action) && g.JobIdleKeepFor is { } keep
            ? new IdlePolicy(threshold, window, grace, action, keep)
            : null;
}
