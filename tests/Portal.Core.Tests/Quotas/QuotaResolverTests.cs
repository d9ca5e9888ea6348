using Portal.Core.Quotas;

namespace Portal.Core.Tests.Quotas;

public sealed class QuotaResolverTests
{
    private static readonly QuotaPolicy Defaults = new()
    {
        MaxConcurrentGpus = 1,
        MaxConcurrentJobs = 2,
        MaxQueuedJobs = 10,
        GpuHoursPerWindow = 50,
        Window = TimeSpan.FromDays(7),
        MaxWalltime = TimeSpan.FromHours(24),
        MaxCpusPerJob = 8,
        MaxMemoryMiBPerJob = 32768,
    };

    [Fact]
    public void With_no_groups_or_override_the_default_applies()
    {
        var quota = QuotaResolver.Resolve(Defaults, [], null);

        Assert.Equal(new EffectiveQuota(1, 2, 10, 50, TimeSpan.FromDays(7), TimeSpan.FromHours(24), 8, 32768), quota);
    }

    [Fact]
    public void A_group_changes_only_the_fields_it_sets()
    {
        var quota = QuotaResolver.Resolve(Defaults, [new QuotaPolicy { MaxConcurrentGpus = 4, MaxWalltime = TimeSpan.FromDays(3) }], null);

        Assert.Equal(4, quota.MaxConcurrentGpus);
        Assert.Equal(TimeSpan.FromDays(3), quota.MaxWalltime);
        Assert.Equal(2, quota.MaxConcurrentJobs);
        Assert.Equal(50, quota.GpuHoursPerWindow);
    }

    [Fact]
    public void Several_groups_grant_the_most_generous_value_of_each_field()
    {
        var students = new QuotaPolicy { MaxConcurrentGpus = 2, MaxCpusPerJob = 32 };
        var lab = new QuotaPolicy { MaxConcurrentGpus = 4, MaxCpusPerJob = 16 };

        var quota = QuotaResolver.Resolve(Defaults, [students, lab], null);

        Assert.Equal(4, quota.MaxConcurrentGpus);
        Assert.Equal(32, quota.MaxCpusPerJob);
    }

    [Fact]
    public void Gpu_hours_compare_as_rates_and_bring_their_window()
    {
        var weekly = new QuotaPolicy { GpuHoursPerWindow = 100, Window = TimeSpan.FromDays(7) };
        var daily = new QuotaPolicy { GpuHoursPerWindow = 20, Window = TimeSpan.FromDays(1) };

        var quota = QuotaResolver.Resolve(Defaults, [weekly, daily], null);

        Assert.Equal(20, quota.GpuHoursPerWindow);
        Assert.Equal(TimeSpan.FromDays(1), quota.Window);
    }

    [Fact]
    public void A_group_that_sets_only_a_shorter_window_grants_a_higher_rate()
    {
        // Default 50 h per 7 days; the group keeps 50 h but renews them every day.
        var quota = QuotaResolver.Resolve(Defaults, [new QuotaPolicy { Window = TimeSpan.FromDays(1) }, new QuotaPolicy { Window = TimeSpan.FromDays(14) }], null);

        Assert.Equal(50, quota.GpuHoursPerWindow);
        Assert.Equal(TimeSpan.FromDays(1), quota.Window);
    }

    [Fact]
    public void A_user_override_wins_over_groups_even_when_stricter()
    {
        var lab = new QuotaPolicy { MaxConcurrentGpus = 4, GpuHoursPerWindow = 200 };
        var user = new QuotaPolicy { MaxConcurrentGpus = 1, GpuHoursPerWindow = 10 };

        var quota = QuotaResolver.Resolve(Defaults, [lab], user);

        Assert.Equal(1, quota.MaxConcurrentGpus);
        Assert.Equal(10, quota.GpuHoursPerWindow);
        Assert.Equal(TimeSpan.FromDays(7), quota.Window);
    }

    [Fact]
    public void An_incomplete_default_is_refused_listing_what_is_missing()
    {
        var error = Assert.Throws<ArgumentException>(() =>
            QuotaResolver.Resolve(Defaults with { Window = null, MaxQueuedJobs = null }, [], null));

        Assert.Contains("MaxQueuedJobs, Window", error.Message, StringComparison.Ordinal);
    }
}
