using Microsoft.AspNetCore.Hosting;
using Portal.Web.Tests.Components.Gpus;

namespace Portal.Browser.Tests.Dashboard;

/// <summary>The portal with a fake nvidia-smi replaying an H100 and an L40S as one two-GPU box at 1 Hz. The H100
/// reports this test process as one of its compute processes, a real PID that /proc resolves to an owner.</summary>
public sealed class TwoGpuPortal : KestrelPortal
{
    public FakeGpuBox Box { get; } = FakeGpuBox.Create(
        [new FakeGpu(GpuCaptures.H100, Pids: [Environment.ProcessId]), new FakeGpu(GpuCaptures.L40S)]);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Portal:Gpus:SearchPath", Box.SearchPath);
        builder.UseSetting("Portal:Gpus:Interval", "00:00:01");
        // A point every 2 s, so the history chart has a line within the test's time.
        builder.UseSetting("Portal:Gpus:HistoryResolution", "00:00:02");
        builder.UseSetting("Portal:Gpus:ProcessRefresh", "00:00:02");
    }

    public override async ValueTask DisposeAsync()
    {
        // The portal first: it kills the fake nvidia-smi before its folder goes.
        await base.DisposeAsync();
        Box.Dispose();
    }
}

/// <summary>The portal on a host without nvidia-smi (its search path is an empty folder).</summary>
public sealed class NoGpuPortal : KestrelPortal
{
    private readonly string _emptyFolder = Directory.CreateTempSubdirectory("no-nvidia-smi-").FullName;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Portal:Gpus:SearchPath", _emptyFolder);
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        if (Directory.Exists(_emptyFolder))
        {
            Directory.Delete(_emptyFolder);
        }
    }
}
