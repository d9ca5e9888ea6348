using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Portal.Core.Gpus;
using Portal.Data.Jobs;
using Portal.Jobs;
using Portal.Launcher.Client;
using Portal.Web.Services.Gpus;
using Portal.Web.Tests.Components.Gpus;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.Data;

/// <summary>
/// The ledger held to the launcher's policy: a GPU the policy does not name (a GPU or MIG instance that appeared after
/// the install wrote the policy) is never given to a job the launcher would then refuse. Through the real path: the GPU
/// monitor reads a fake nvidia-smi, the inventory sync writes PostgreSQL and asks the real launcher (the job host's
/// policy names two GPUs) which GPUs its policy names.
/// </summary>
[Collection(JobHostGroup.Name)]
public sealed class LauncherPolicyGpuTests(JobHostFixture fixture)
{
    private const string Unnamed = "GPU-7e57a0ff-0000-4000-8000-0000000000ff";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static readonly DateTimeOffset Noon = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task The_real_launcher_says_which_GPUs_its_policy_names()
    {
        var launcher = new ProcessLauncher(new LauncherOptions { LauncherPath = fixture.LauncherPath });

        Assert.Equal(JobHostFixture.GpuUuids, await launcher.PolicyGpusAsync());
    }

    [Fact]
    public async Task A_GPU_the_policy_does_not_name_is_drained_by_the_inventory_sync_and_an_admins_drain_is_left_alone()
    {
        using var box = FakeGpuBox.Create(
            [new FakeGpu(GpuCaptures.L40S), new FakeGpu(GpuCaptures.L40S), new FakeGpu(GpuCaptures.L40S)],
            [.. JobHostFixture.GpuUuids, Unnamed]);
        await using var database = await TestDatabase.CreateAsync();
        var clock = new ManualClock(Noon);
        var gpus = new GpuStore(database, clock);
        var store = new JobStore(database, clock);

        await using (var sync = await SyncAsync(gpus, box, clock))
        {
            await sync.Sync.SyncAsync(CancellationToken.None);
            var stored = (await gpus.ListGpusAsync()).ToDictionary(g => g.Uuid);
            Assert.True(stored[Unnamed].Drained);
            Assert.Equal(GpuStore.LauncherPolicyDrainer, stored[Unnamed].DrainedBy);
            Assert.Contains("launcher policy does not name this GPU", stored[Unnamed].DrainReason, StringComparison.Ordinal);
            Assert.All(JobHostFixture.GpuUuids, uuid => Assert.False(stored[uuid].Drained));
            Assert.Equal(
                JobHostFixture.GpuUuids.Order(StringComparer.Ordinal),
                (await store.LoadSnapshotAsync()).Snapshot.Gpus.Where(g => !g.Drained).Select(g => g.Uuid).Order(StringComparer.Ordinal));

            // An administrator's drain of a GPU the policy names is theirs: the next reading of the policy keeps it.
            Assert.Equal(GpuDrainOutcome.Done, await gpus.SetGpuDrainedAsync(JobHostFixture.GpuUuids[0], drained: true, "admin", "fan noise"));
            clock.Advance(GpuInventorySync.PolicyRefresh);
            await sync.Sync.SyncAsync(CancellationToken.None);
            var first = (await gpus.ListGpusAsync()).Single(g => g.Uuid == JobHostFixture.GpuUuids[0]);
            Assert.True(first.Drained);
            Assert.Equal("admin", first.DrainedBy);
            Assert.Equal("fan noise", first.DrainReason);
        }
    }

    [Fact]
    public async Task A_GPU_the_policy_comes_to_name_returns_to_service_and_GPUs_split_or_gone_are_left_as_they_are()
    {
        await using var database = await TestDatabase.CreateAsync();
        var clock = new ManualClock(Noon);
        var gpus = new GpuStore(database, clock);
        var split = new GpuDevice(0, "GPU-aaaa", "NVIDIA H100", 81559, "00000000:01:00.0", "/dev/nvidia0",
            [new MigDevice("GPU-aaaa", 0, "MIG-aaaa-0", "3g.40gb"), new MigDevice("GPU-aaaa", 1, "MIG-aaaa-1", "3g.40gb")]);
        var whole = new GpuDevice(1, "GPU-bbbb", "NVIDIA H100", 81559, "00000000:02:00.0", "/dev/nvidia1", []);
        var gone = new GpuDevice(2, "GPU-cccc", "NVIDIA H100", 81559, "00000000:03:00.0", "/dev/nvidia2", []);
        await gpus.UpsertGpusAsync([split, whole, gone]);
        await gpus.UpsertGpusAsync([split, whole]);

        // The policy written before the second instance and the whole GPU existed.
        var changes = await gpus.MatchLauncherPolicyAsync(["MIG-aaaa-0"]);

        Assert.Equal([new PolicyDrainChange("GPU-bbbb", KeptOut: true), new PolicyDrainChange("MIG-aaaa-1", KeptOut: true)],
            changes.OrderBy(c => c.GpuUuid, StringComparer.Ordinal));
        var stored = (await gpus.ListGpusAsync()).ToDictionary(g => g.Uuid);
        Assert.False(stored["GPU-aaaa"].Drained);
        Assert.False(stored["GPU-cccc"].Drained);
        Assert.False(stored["MIG-aaaa-0"].Drained);

        // The administrator adds them to the policy: back in service on the next reading, and a second reading changes nothing.
        var back = await gpus.MatchLauncherPolicyAsync(["MIG-aaaa-0", "MIG-aaaa-1", "GPU-bbbb"]);

        Assert.Equal(2, back.Count);
        Assert.All(back, c => Assert.False(c.KeptOut));
        Assert.All(await gpus.ListGpusAsync(), g => Assert.False(g.Drained));
        Assert.Empty(await gpus.MatchLauncherPolicyAsync(["MIG-aaaa-0", "MIG-aaaa-1", "GPU-bbbb"]));
    }

    /// <summary>A GPU monitor reading <paramref name="box"/> (its first reading taken) and the sync the job runner
    /// runs, with the real launcher of the job host.</summary>
    private async Task<RunningSync> SyncAsync(GpuStore gpus, FakeGpuBox box, TimeProvider clock)
    {
        var options = new GpuMonitorOptions { SearchPath = box.SearchPath, Interval = TimeSpan.FromMilliseconds(200) };
        var monitor = new GpuMonitor(Options.Create(options), new NoHolders(), TimeProvider.System, NullLogger<GpuMonitor>.Instance);
        await monitor.StartAsync(CancellationToken.None);
        var source = (IGpuInventorySource)monitor;
        await Eventually.UntilAsync(() => Task.FromResult(source.CurrentSnapshot), s => s.Status == GpuDiscoveryStatus.Available,
            Deadline, "the monitor's first reading");
        var services = new ServiceCollection()
            .AddSingleton(source)
            .AddSingleton<ILauncher>(new ProcessLauncher(new LauncherOptions { LauncherPath = fixture.LauncherPath }))
            .BuildServiceProvider();
        return new RunningSync(monitor, services, new GpuInventorySync(gpus, services, clock, NullLogger<GpuInventorySync>.Instance));
    }

    private sealed record RunningSync(GpuMonitor Monitor, ServiceProvider Services, GpuInventorySync Sync) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Monitor.StopAsync(CancellationToken.None);
            Monitor.Dispose();
            await Services.DisposeAsync();
        }
    }

    private sealed class NoHolders : IGpuHolderSource
    {
        public Task<GpuOccupancy> ReadAsync(CancellationToken cancellationToken) => Task.FromResult(GpuOccupancy.None);
    }
}
