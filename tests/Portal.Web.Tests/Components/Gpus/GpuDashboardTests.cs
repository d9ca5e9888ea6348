using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Portal.Core.Gpus;
using Portal.Web.Components.Gpus;
using Portal.Web.Services.Gpus;

namespace Portal.Web.Tests.Components.Gpus;

/// <summary>The live dashboard against a real <see cref="GpuMonitor"/> driving a fake nvidia-smi.</summary>
public sealed class GpuDashboardTests : GpuComponentTest
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Dashboard_shows_each_gpu_updates_live_and_unsubscribes_when_disposed()
    {
        using var box = FakeGpuBox.Create([new(GpuCaptures.H100, Pids: [Environment.ProcessId]), new(GpuCaptures.L40S)]);
        await using var monitor = await StartMonitorAsync(box.SearchPath);
        SetRendererInfo(new RendererInfo("Server", isInteractive: true));

        var dashboard = Render<GpuDashboard>();

        dashboard.WaitForAssertion(
            () => Assert.Equal(["NVIDIA H100 80GB HBM3", "NVIDIA L40S"], dashboard.FindAll(".gpu-name").Select(n => n.TextContent)),
            Deadline);
        Assert.Equal(1, monitor.Monitor.SubscriberCount);
        // The fake alternates the captures' idle and load rounds: the power reading must change on its own.
        var first = dashboard.Find(".gpu-card .gpu-power .gpu-value").TextContent;
        dashboard.WaitForAssertion(() => Assert.NotEqual(first, dashboard.Find(".gpu-card .gpu-power .gpu-value").TextContent), Deadline);
        // This test process stands in for a stranger on GPU 0: no ledger holder, so it is flagged.
        dashboard.WaitForAssertion(() => Assert.Contains("Outside any job", dashboard.Find(".gpu-card .gpu-foreign").TextContent, StringComparison.Ordinal), Deadline);

        await DisposeComponentsAsync();

        Assert.Equal(0, monitor.Monitor.SubscriberCount);
    }

    [Fact]
    public async Task Dashboard_without_nvidia_smi_says_no_gpu()
    {
        var empty = Directory.CreateTempSubdirectory("no-nvidia-smi-").FullName;
        try
        {
            await using var monitor = await StartMonitorAsync(empty);
            SetRendererInfo(new RendererInfo("Server", isInteractive: true));

            var dashboard = Render<GpuDashboard>();

            dashboard.WaitForAssertion(
                () => Assert.Contains("No GPU detected on this host", dashboard.Find(".gpu-empty").TextContent, StringComparison.Ordinal),
                Deadline);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    public void Prerendering_shows_the_current_frame_without_subscribing()
    {
        var monitor = new GpuMonitor(
            Options.Create(new GpuMonitorOptions()), new NoHolders(), TimeProvider.System, NullLogger<GpuMonitor>.Instance);
        Services.AddSingleton(monitor);
        Services.AddSingleton(Options.Create(new GpuMonitorOptions()));
        SetRendererInfo(new RendererInfo("Static", isInteractive: false));

        var dashboard = Render<GpuDashboard>();

        Assert.Contains("Looking for GPUs", dashboard.Markup, StringComparison.Ordinal);
        Assert.Equal(0, monitor.SubscriberCount);
    }

    private async Task<RunningMonitor> StartMonitorAsync(string searchPath)
    {
        var options = new GpuMonitorOptions
        {
            SearchPath = searchPath,
            Interval = TimeSpan.FromMilliseconds(200),
            HistoryResolution = TimeSpan.FromSeconds(1),
            ProcessRefresh = TimeSpan.FromSeconds(1),
        };
        var holders = new ProcessOnlyHolderSource(
            new NvidiaSmiProcessQuery(GpuMonitor.ToSamplerOptions(options)), new ProcessOwnerResolver());
        var monitor = new GpuMonitor(Options.Create(options), holders, TimeProvider.System, NullLogger<GpuMonitor>.Instance);
        Services.AddSingleton(monitor);
        Services.AddSingleton(Options.Create(options));
        await monitor.StartAsync(CancellationToken.None);
        return new RunningMonitor(monitor);
    }

    private sealed record RunningMonitor(GpuMonitor Monitor) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Monitor.StopAsync(CancellationToken.None);
            Monitor.Dispose();
        }
    }

    private sealed class NoHolders : IGpuHolderSource
    {
        public Task<GpuOccupancy> ReadAsync(CancellationToken cancellationToken) => Task.FromResult(GpuOccupancy.None);
    }
}
