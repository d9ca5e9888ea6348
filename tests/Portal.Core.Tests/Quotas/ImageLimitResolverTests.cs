using Portal.Core.Quotas;

namespace Portal.Core.Tests.Quotas;

/// <summary>The image disk limit: the one field the default may leave unset (no limit).</summary>
public sealed class ImageLimitResolverTests
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
    public void A_default_without_an_image_limit_is_complete_and_means_no_limit()
    {
        var quota = QuotaResolver.Resolve(Defaults, [], null);

        Assert.Null(quota.MaxImageGiB);
        Assert.Null(quota.MaxImageBytes);
    }

    [Fact]
    public void Groups_grant_the_largest_image_limit_and_the_users_override_wins()
    {
        var defaults = Defaults with { MaxImageGiB = 5 };
        QuotaPolicy[] groups = [new() { MaxImageGiB = 20 }, new() { MaxImageGiB = 10 }, new()];

        var fromGroups = QuotaResolver.Resolve(defaults, groups, null);
        var overridden = QuotaResolver.Resolve(defaults, groups, new QuotaPolicy { MaxImageGiB = 0.5 });
        var inherited = QuotaResolver.Resolve(defaults, [], null);

        Assert.Equal(20, fromGroups.MaxImageGiB);
        Assert.Equal(20L << 30, fromGroups.MaxImageBytes);
        Assert.Equal(1L << 29, overridden.MaxImageBytes);
        Assert.Equal(5, inherited.MaxImageGiB);
    }
}
