using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Portal.Core.Sessions;
using Portal.Web.Services.Gpus;
using Portal.Web.Services.Sessions.Idle;
using Portal.Web.Tests.Components.Gpus;
using Portal.Web.Tests.Jobs;

namespace Portal.Web.Tests.Sessions;

/// <summary>
/// Idle reclaim's GPU signal from the real <see cref="GpuMonitor"/> (the dashboard's sampler and history) driving the
/// fake nvidia-smi that replays real captures: a GPU at 0 % gives no sign of use, the same GPU computing does, and a
/// busy GPU the session does not hold does not count for it.
/// </summary>
public sealed class SessionGpuActivityTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);
    private static readonly SessionIdlePolicy Policy = new(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), 5, TimeSpan.FromHours(1));

    [Fact]
    public async Task A_session_GPU_at_zero_percent_is_idle_and_the_same_GPU_computing_keeps_the_session()
    {
        // GPU 0 stays at its idle round (0 %); GPU 1 alternates idle and full load, as the fake does.
        using var box = FakeGpuBox.Create([new FakeGpu(GpuCaptures.H100), new FakeGpu(GpuCaptures.H100)]);
        string idleRows = File.ReadAllText(Path.Combine(box.Folder, "gpu-idle.csv"));
        string loadRows = File.ReadAllText(Path.Combine(box.Folder, "gpu-load.csv"));
        Replace(box, "gpu-load.csv", string.Concat(KeepRowsOf(idleRows, box.Uuids[0]), KeepRowsOf(loadRows, box.Uuids[1])));
        var options = new GpuMonitorOptions
        {
            SearchPath = box.SearchPath,
            Interval = TimeSpan.FromMilliseconds(200),
            HistoryResolution = TimeSpan.FromSeconds(1),
        };
        var monitor = new GpuMonitor(Options.Create(options), new NoHolders(), TimeProvider.System, NullLogger<GpuMonitor>.Instance);
        await monitor.StartAsync(CancellationToken.None);
        try
        {
            var gpus = new SessionGpuActivity(monitor, Options.Create(options));

            // Several closed history points of both GPUs: GPU 1 was busy in them, GPU 0 never.
            await Eventually.UntilAsync(() => Task.FromResult(monitor.Current), f => f.HistoryOf(box.Uuids[0]).Count >= 3 && f.HistoryOf(box.Uuids[1]).Count >= 3,
                Deadline, "three history points of each GPU");
            Assert.Equal((null, false), gpus.Read([box.Uuids[0]], Policy.GpuThresholdPercent));
            Assert.NotNull(gpus.Read([box.Uuids[1]], Policy.GpuThresholdPercent).LastBusy);
            Assert.Equal((null, false), gpus.Read([], Policy.GpuThresholdPercent));

            // GPU 0 starts computing: it becomes a sign of use, and its session is active from then on.
            DateTimeOffset before = DateTimeOffset.UtcNow;
            Replace(box, "gpu-load.csv", loadRows);
            (DateTimeOffset? lastBusy, bool busyNow) = await Eventually.UntilAsync(
                () => Task.FromResult(gpus.Read([box.Uuids[0]], Policy.GpuThresholdPercent)), r => r.LastBusy is not null, Deadline, "GPU 0 to be seen busy");
            Assert.True(lastBusy >= before);
            SessionIdleState state = SessionIdleClock.Evaluate(
                new SessionSignals(before - TimeSpan.FromHours(1), GpuLastBusy: lastBusy, GpuBusy: busyNow), Policy, DateTimeOffset.UtcNow);
            Assert.Equal(SessionIdlePhase.Active, state.Phase);
        }
        finally
        {
            await monitor.StopAsync(CancellationToken.None);
            monitor.Dispose();
        }
    }

    /// <summary>The rows of <paramref name="rows"/> for one GPU (the fake writes one line per GPU per round).</summary>
    private static string KeepRowsOf(string rows, string uuid) =>
        string.Concat(rows.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(r => r.Contains(uuid, StringComparison.Ordinal)).Select(r => r + "\n"));

    /// <summary>Swaps a file of the fake by rename, so that its loop never reads half of one.</summary>
    private static void Replace(FakeGpuBox box, string name, string content)
    {
        string temporary = Path.Combine(box.Folder, name + ".new");
        File.WriteAllText(temporary, content);
        File.Move(temporary, Path.Combine(box.Folder, name), overwrite: true);
    }

    private sealed class NoHolders : IGpuHolderSource
    {
        public Task<GpuOccupancy> ReadAsync(CancellationToken cancellationToken) => Task.FromResult(GpuOccupancy.None);
    }
}
