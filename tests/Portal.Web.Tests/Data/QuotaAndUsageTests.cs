using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Data.Jobs;
using Portal.Data.Quotas;
using static Portal.Web.Tests.Data.JobStoreFixtures;

namespace Portal.Web.Tests.Data;

public sealed class QuotaAndUsageTests
{
    private static readonly DateTimeOffset Evening = new(2026, 11, 27, 23, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_users_quota_resolves_default_then_groups_then_their_override_from_the_database()
    {
        await using var database = await TestDatabase.CreateAsync();
        var quotas = new QuotaStore(database, TimeProvider.System);
        var heidi = await database.AddUserAsync("heidi", 6201);
        var ivan = await database.AddUserAsync("ivan", 6202);
        var defaults = await quotas.GetDefaultAsync();
        var students = await quotas.CreateGroupAsync("students", new QuotaPolicy { MaxConcurrentGpus = 1, MaxQueuedJobs = 10 });
        var lab = await quotas.CreateGroupAsync("lab", new QuotaPolicy { MaxConcurrentGpus = 4, MaxWalltime = TimeSpan.FromHours(72) });
        Assert.Null(await quotas.CreateGroupAsync("lab", new QuotaPolicy()));
        Assert.True(await quotas.AddMemberAsync(students!.Value, heidi));
        Assert.True(await quotas.AddMemberAsync(students.Value, heidi));
        Assert.True(await quotas.AddMemberAsync(lab!.Value, heidi));
        Assert.False(await quotas.AddMemberAsync(lab.Value + 99, heidi));
        await quotas.SetUserOverrideAsync(heidi, new QuotaPolicy { MaxConcurrentGpus = 3, MaxCpusPerJob = 2 });

        var heidiQuota = await quotas.ResolveAsync(heidi);
        var ivanQuota = await quotas.ResolveAsync(ivan);

        Assert.Equal(QuotaResolver.Resolve(defaults, [], null), ivanQuota);
        Assert.Equal(3, heidiQuota.MaxConcurrentGpus);
        Assert.Equal(2, heidiQuota.MaxCpusPerJob);
        Assert.Equal(TimeSpan.FromHours(72), heidiQuota.MaxWalltime);
        Assert.Equal(10, heidiQuota.MaxQueuedJobs);
        Assert.Equal(defaults.MaxMemoryMiBPerJob, heidiQuota.MaxMemoryMiBPerJob);

        await quotas.SetUserOverrideAsync(heidi, null);
        Assert.True(await quotas.RemoveMemberAsync(lab.Value, heidi));
        var afterRemoval = await quotas.ResolveAsync(heidi);
        Assert.Equal(1, afterRemoval.MaxConcurrentGpus);
        Assert.Equal(defaults.MaxWalltime, afterRemoval.MaxWalltime);
        Assert.Equal([students.Value, lab.Value], (await quotas.ListGroupsAsync()).OrderBy(g => g.Name, StringComparer.Ordinal).Select(g => g.Id).Reverse());
    }

    [Fact]
    public async Task The_default_policy_must_set_every_field()
    {
        await using var database = await TestDatabase.CreateAsync();
        var quotas = new QuotaStore(database, TimeProvider.System);
        var changed = (await quotas.GetDefaultAsync()) with { MaxQueuedJobs = 7 };

        await Assert.ThrowsAsync<ArgumentException>(() => quotas.SetDefaultAsync(changed with { Window = null }));
        await quotas.SetDefaultAsync(changed);

        Assert.Equal(7, (await quotas.GetDefaultAsync()).MaxQueuedJobs);
    }

    [Fact]
    public async Task GPU_seconds_are_reported_per_user_per_day_split_at_midnight_and_as_CSV()
    {
        await using var database = await TestDatabase.CreateAsync();
        var clock = new ManualClock(Evening);
        var store = new JobStore(database, clock);
        await new GpuStore(database, clock).UpsertGpusAsync([TestDatabase.Gpu(0), TestDatabase.Gpu(1)]);
        var judy = await database.AddUserAsync("judy", 6203);
        var id = await SubmitAsync(store, judy, Spec(gpus: 2));
        await store.CommitStartAsync(id, [TestDatabase.Gpu(0).Uuid, TestDatabase.Gpu(1).Uuid]);
        await store.MarkRunningAsync(id, "abc");
        clock.Advance(TimeSpan.FromHours(2));
        await store.FinishAsync(id, JobState.Succeeded, 0);
        var usage = new UsageStore(database, clock);

        var days = await usage.DailyGpuUsageAsync(Evening.AddDays(-1), Evening.AddDays(1));

        Assert.Equal(
            [new DailyGpuUsage("judy", new DateOnly(2026, 11, 27), 7200), new DailyGpuUsage("judy", new DateOnly(2026, 11, 28), 7200)],
            days);
        Assert.Equal(
            "day,user,gpu_seconds,gpu_hours,cpu_seconds,peak_memory_mib,oom_kills\n2026-11-27,judy,7200,2,0,,0\n2026-11-28,judy,7200,2,0,,0\n",
            UsageStore.ToCsv(days));
        var quotaUsage = await usage.QuotaUsageAsync(judy);
        Assert.NotNull(quotaUsage);
        Assert.Equal(4, quotaUsage.GpuHoursInWindow);
        Assert.Equal(0, quotaUsage.RunningGpus);
    }
}
