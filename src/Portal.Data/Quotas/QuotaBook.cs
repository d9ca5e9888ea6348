using Microsoft.EntityFrameworkCore;
using Portal.Core.Quotas;
using Portal.Data.Entities.Quotas;

namespace Portal.Data.Quotas;

/// <summary>
/// Every quota layer, read at once (inside the caller's transaction when there is one), so that resolving many
/// users costs three queries and all of them see the same policies.
/// </summary>
internal sealed class QuotaBook
{
    private readonly Dictionary<Guid, List<QuotaPolicy>> _groupsByUser;
    private readonly Dictionary<Guid, QuotaPolicy> _overrides;

    private QuotaBook(QuotaPolicy defaults, Dictionary<Guid, List<QuotaPolicy>> groupsByUser, Dictionary<Guid, QuotaPolicy> overrides)
    {
        Default = defaults;
        DefaultQuota = QuotaResolver.Resolve(defaults, [], null);
        _groupsByUser = groupsByUser;
        _overrides = overrides;
    }

    public QuotaPolicy Default { get; }

    /// <summary>The quota of a user in no group and without an override.</summary>
    public EffectiveQuota DefaultQuota { get; }

    /// <summary>The longest window any layer sets: usage older than this never counts.</summary>
    public TimeSpan LongestWindow =>
        _groupsByUser.Values.SelectMany(g => g).Concat(_overrides.Values)
            .Select(p => p.Window ?? TimeSpan.Zero)
            .Append(DefaultQuota.Window)
            .Max();

    public EffectiveQuota Resolve(Guid userId) =>
        QuotaResolver.Resolve(Default, _groupsByUser.GetValueOrDefault(userId) ?? [], _overrides.GetValueOrDefault(userId));

    public static async Task<QuotaBook> LoadAsync(PortalDbContext db, CancellationToken cancellationToken)
    {
        var defaults = await db.QuotaDefault.AsNoTracking().SingleOrDefaultAsync(cancellationToken)
            ?? throw new InvalidOperationException("The default quota policy row is missing; the migrations seed it.");
        var groups = await db.QuotaGroups.AsNoTracking().Include(g => g.Members).ToListAsync(cancellationToken);
        var overrides = await db.UserQuotaOverrides.AsNoTracking().ToListAsync(cancellationToken);
        var groupsByUser = new Dictionary<Guid, List<QuotaPolicy>>();
        foreach (var group in groups)
        {
            var policy = QuotaMapper.ToPolicy(group);
            foreach (var member in group.Members)
            {
                if (!groupsByUser.TryGetValue(member.UserId, out var list))
                {
                    groupsByUser[member.UserId] = list = [];
                }

                list.Add(policy);
            }
        }

        return new QuotaBook(
            QuotaMapper.ToPolicy(defaults),
            groupsByUser,
            overrides.ToDictionary(o => o.UserId, o => QuotaMapper.ToPolicy((IQuotaPolicyColumns)o)));
    }
}
