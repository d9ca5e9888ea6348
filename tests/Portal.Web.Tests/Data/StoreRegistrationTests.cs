using Microsoft.Extensions.DependencyInjection;
using Portal.Data;
using Portal.Data.Jobs;
using Portal.Data.Quotas;

namespace Portal.Web.Tests.Data;

public sealed class StoreRegistrationTests
{
    [Fact]
    public async Task The_stores_resolve_from_a_container_with_a_context_factory_and_work()
    {
        await using var database = await TestDatabase.CreateAsync();
        var services = new ServiceCollection();
        services.AddDbContextFactory<PortalDbContext>(options => PortalDatabaseOptions.Configure(options, database.ConnectionString));
        services.AddPortalStores();
        await using var provider = services.BuildServiceProvider();

        var gpus = provider.GetRequiredService<GpuStore>();
        await gpus.UpsertGpusAsync([TestDatabase.Gpu(0)]);

        Assert.Single(await gpus.ListGpusAsync());
        Assert.Equal(0, (await provider.GetRequiredService<JobStore>().ListAsync(Guid.NewGuid(), isAdmin: true, new JobListQuery())).Total);
        Assert.NotNull(await provider.GetRequiredService<QuotaStore>().GetDefaultAsync());
        Assert.Empty(await provider.GetRequiredService<UsageStore>().DailyGpuUsageAsync(DateTimeOffset.UnixEpoch, DateTimeOffset.UtcNow));
        Assert.Empty(await provider.GetRequiredService<Portal.Data.Presets.JobPresetStore>().ListAsync(Guid.NewGuid()));
    }
}
