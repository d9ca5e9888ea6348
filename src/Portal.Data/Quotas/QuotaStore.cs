using Microsoft.EntityFrameworkCore;
using Npgsql;
using Portal.Core.Quotas;
using Portal.Core.Sessions;
using Portal.Data.Entities.Quotas;

namespace Portal.Data.Quotas;

/// <summary>A quota group as the admin page shows it.</summary>
public sealed record QuotaGroup(int Id, string Name, QuotaPolicy Policy, IReadOnlyList<Guid> MemberIds);

/// <summary>
/// Reads and changes the quota layers: the default policy (one row), named groups with members, and per-user
/// overrides. Every call is one short transaction on its own context.
/// </summary>
public sealed partial class QuotaStore(IDbContextFactory<PortalDbContext> contextFactory, TimeProvider timeProvider)
{
    public async Task<QuotaPolicy> GetDefaultAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return (await QuotaBook.LoadAsync(db, cancellationToken)).Default;
    }

    /// <summary>Replaces the default policy.</summary>
    /// <exception cref="ArgumentException">The policy leaves a field unset (the default must set all).</exception>
    public async Task SetDefaultAsync(QuotaPolicy policy, CancellationToken cancellationToken = default)
    {
        _ = QuotaResolver.Resolve(policy, [], null);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.QuotaDefault.SingleAsync(cancellationToken);
        QuotaMapper.CopyTo(policy, row);
        row.UpdatedAt = timeProvider.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<QuotaGroup>> ListGroupsAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var groups = await db.QuotaGroups.AsNoTracking().Include(g => g.Members).OrderBy(g => g.Name).ToListAsync(cancellationToken);
        return groups.Select(g => new QuotaGroup(g.Id, g.Name, QuotaMapper.ToPolicy(g), g.Members.Select(m => m.UserId).ToList())).ToList();
    }

    /// <summary>Creates a group and returns its id, or null when a group of that name exists.</summary>
    public async Task<int?> CreateGroupAsync(string name, QuotaPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(policy);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var row = new QuotaGroupRecord { Name = name.Trim(), UpdatedAt = timeProvider.GetUtcNow() };
        QuotaMapper.CopyTo(policy, row);
        db.QuotaGroups.Add(row);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return null;
        }

        return row.Id;
    }

    /// <summary>Replaces a group's policy; false when there is no such group.</summary>
    public async Task<bool> UpdateGroupAsync(int groupId, QuotaPolicy policy, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.QuotaGroups.SingleOrDefaultAsync(g => g.Id == groupId, cancellationToken);
        if (row is null)
        {
            return false;
        }

        QuotaMapper.CopyTo(policy, row);
        row.UpdatedAt = timeProvider.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        return true;
    }

    /// <summary>Deletes a group and its memberships; false when there is no such group.</summary>
    public async Task<bool> DeleteGroupAsync(int groupId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.QuotaGroups.Where(g => g.Id == groupId).ExecuteDeleteAsync(cancellationToken) > 0;
    }

    /// <summary>Adds a member; false when the group or user does not exist. Adding an existing member is a no-op.</summary>
    public async Task<bool> AddMemberAsync(int groupId, Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        // ON CONFLICT keeps a double click from failing; the foreign keys refuse unknown groups and users.
        try
        {
            await db.Database.ExecuteSqlAsync(
                $"INSERT INTO \"QuotaGroupMembers\" (\"GroupId\", \"UserId\") VALUES ({groupId}, {userId}) ON CONFLICT DO NOTHING",
                cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation)
        {
            return false;
        }

        return true;
    }

    /// <summary>Removes a member; false when they were not in the group.</summary>
    public async Task<bool> RemoveMemberAsync(int groupId, Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.QuotaGroupMembers.Where(m => m.GroupId == groupId && m.UserId == userId).ExecuteDeleteAsync(cancellationToken) > 0;
    }

    public async Task<QuotaPolicy?> GetUserOverrideAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.UserQuotaOverrides.AsNoTracking().SingleOrDefaultAsync(o => o.UserId == userId, cancellationToken);
        return row is null ? null : QuotaMapper.ToPolicy(row);
    }

    /// <summary>Every user's override, by account.</summary>
    public async Task<IReadOnlyDictionary<Guid, QuotaPolicy>> ListUserOverridesAsync(CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.UserQuotaOverrides.AsNoTracking().ToListAsync(cancellationToken);
        return rows.ToDictionary(o => o.UserId, QuotaMapper.ToPolicy);
    }

    /// <summary>Sets a user's override; null removes it.</summary>
    public async Task SetUserOverrideAsync(Guid userId, QuotaPolicy? policy, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.UserQuotaOverrides.SingleOrDefaultAsync(o => o.UserId == userId, cancellationToken);
        if (policy is null)
        {
            if (row is not null)
            {
                db.UserQuotaOverrides.Remove(row);
            }
        }
        else
        {
            if (row is null)
            {
                row = new UserQuotaOverrideRecord { UserId = userId };
                db.UserQuotaOverrides.Add(row);
            }

            QuotaMapper.CopyTo(policy, row);
            row.UpdatedAt = timeProvider.GetUtcNow();
        }

        await db.SaveChangesAsync(cancellationToken);
    }

    /// <summary>The user's effective quota: default, then their groups, then their override.</summary>
    public async Task<EffectiveQuota> ResolveAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return (await QuotaBook.LoadAsync(db, cancellationToken)).Resolve(userId);
    }

    /// <summary>A group's idle-reclaim settings, or null when there is no such group.</summary>
    public async Task<SessionIdleSettings?> GetGroupIdleAsync(int groupId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.QuotaGroups.AsNoTracking().Where(g => g.Id == groupId)
            .Select(g => new SessionIdleSettings(g.IdleWindow, g.IdleGrace, g.IdleGpuThresholdPercent, g.IdleKeepLimit))
            .SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>Replaces a group's idle-reclaim settings; false when there is no such group.</summary>
    public async Task<bool> SetGroupIdleAsync(int groupId, SessionIdleSettings settings, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.QuotaGroups.Where(g => g.Id == groupId).ExecuteUpdateAsync(s => s
            .SetProperty(g => g.IdleWindow, settings.Window)
            .SetProperty(g => g.IdleGrace, settings.Grace)
            .SetProperty(g => g.IdleGpuThresholdPercent, settings.GpuThresholdPercent)
            .SetProperty(g => g.IdleKeepLimit, settings.KeepLimit)
            .SetProperty(g => g.UpdatedAt, timeProvider.GetUtcNow()), cancellationToken) > 0;
    }

    /// <summary>The idle policy of each of <paramref name="userIds"/>: null for a user whose sessions are never reclaimed
    /// (<see cref="SessionIdlePolicy.Resolve"/>). One query, whatever the number of users.</summary>
    public async Task<IReadOnlyDictionary<Guid, SessionIdlePolicy?>> ResolveIdleAsync(IReadOnlyCollection<Guid> userIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.QuotaGroupMembers.AsNoTracking()
            .Where(m => userIds.Contains(m.UserId))
            .Join(db.QuotaGroups, m => m.GroupId, g => g.Id, (m, g) => new { m.UserId, g.IdleWindow, g.IdleGrace, g.IdleGpuThresholdPercent, g.IdleKeepLimit })
            .ToListAsync(cancellationToken);
        var byUser = rows.ToLookup(r => r.UserId, r => new SessionIdleSettings(r.IdleWindow, r.IdleGrace, r.IdleGpuThresholdPercent, r.IdleKeepLimit));
        return userIds.Distinct().ToDictionary(id => id, id => SessionIdlePolicy.Resolve(byUser[id].ToList()));
    }
}
