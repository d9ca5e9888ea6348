namespace Portal.Core.Quotas;

/// <summary>
/// Resolves a user's <see cref="EffectiveQuota"/>: the user's override wins field by field, then the user's groups,
/// then the default. A user in several groups gets, per field, the most generous value any of those groups sets:
/// group membership is meant to grant, never to take away what another group grants.
/// </summary>
public static class QuotaResolver
{
    /// <summary>Resolves the quota for one user.</summary>
    /// <param name="defaults">The default policy; it must set every field.</param>
    /// <param name="groupPolicies">The policies of the groups the user is in (any order).</param>
    /// <param name="userOverride">The user's own override, if any.</param>
    /// <exception cref="ArgumentException">The default policy leaves a field unset.</exception>
    public static EffectiveQuota Resolve(QuotaPolicy defaults, IEnumerable<QuotaPolicy> groupPolicies, QuotaPolicy? userOverride)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(groupPolicies);
        RequireComplete(defaults);
        var groups = groupPolicies.ToList();
        var user = userOverride ?? new QuotaPolicy();

        // GPU-hours and their window go together: 100 h per 7 days from one group and 10 h per day from another
        // are compared as rates, and the winner brings its own window (a group that sets only one of the two
        // inherits the other from the default).
        var defaultHours = (Hours: defaults.GpuHoursPerWindow!.Value, Window: defaults.Window!.Value);
        var (hours, window) = groups
            .Where(g => g.GpuHoursPerWindow is not null || g.Window is not null)
            .Select(g => (Hours: g.GpuHoursPerWindow ?? defaultHours.Hours, Window: g.Window ?? defaultHours.Window))
            .OrderByDescending(g => g.Hours / g.Window.TotalHours)
            .DefaultIfEmpty(defaultHours)
            .First();
        hours = user.GpuHoursPerWindow ?? hours;
        window = user.Window ?? window;

        return new EffectiveQuota(
            user.MaxConcurrentGpus ?? groups.Max(g => g.MaxConcurrentGpus) ?? defaults.MaxConcurrentGpus!.Value,
            user.MaxConcurrentJobs ?? groups.Max(g => g.MaxConcurrentJobs) ?? defaults.MaxConcurrentJobs!.Value,
            user.MaxQueuedJobs ?? groups.Max(g => g.MaxQueuedJobs) ?? defaults.MaxQueuedJobs!.Value,
            hours,
            window,
            user.MaxWalltime ?? groups.Max(g => g.MaxWalltime) ?? defaults.MaxWalltime!.Value,
            user.MaxCpusPerJob ?? groups.Max(g => g.MaxCpusPerJob) ?? defaults.MaxCpusPerJob!.Value,
            user.MaxMemoryMiBPerJob ?? groups.Max(g => g.MaxMemoryMiBPerJob) ?? defaults.MaxMemoryMiBPerJob!.Value)
        {
            // The one field the default may leave unset: no limit.
            MaxImageGiB = user.MaxImageGiB ?? groups.Max(g => g.MaxImageGiB) ?? defaults.MaxImageGiB,
        };
    }

    private static void RequireComplete(QuotaPolicy defaults)
    {
        var missing = new List<string>();
        if (defaults.MaxConcurrentGpus is null) missing.Add(nameof(QuotaPolicy.MaxConcurrentGpus));
        if (defaults.MaxConcurrentJobs is null) missing.Add(nameof(QuotaPolicy.MaxConcurrentJobs));
        if (defaults.MaxQueuedJobs is null) missing.Add(nameof(QuotaPolicy.MaxQueuedJobs));
        if (defaults.GpuHoursPerWindow is null) missing.Add(nameof(QuotaPolicy.GpuHoursPerWindow));
        if (defaults.Window is null) missing.Add(nameof(QuotaPolicy.Window));
        if (defaults.MaxWalltime is null) missing.Add(nameof(QuotaPolicy.MaxWalltime));
        if (defaults.MaxCpusPerJob is null) missing.Add(nameof(QuotaPolicy.MaxCpusPerJob));
        if (defaults.MaxMemoryMiBPerJob is null) missing.Add(nameof(QuotaPolicy.MaxMemoryMiBPerJob));
        if (missing.Count > 0)
        {
            throw new ArgumentException(
                "The default quota policy must set every field; missing: " + string.Join(", ", missing), nameof(defaults));
        }
    }
}
