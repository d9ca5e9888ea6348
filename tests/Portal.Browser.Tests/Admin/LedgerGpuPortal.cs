using Microsoft.AspNetCore.Hosting;
using Portal.Web.Tests.Components.Gpus;

namespace Portal.Browser.Tests.Admin;

/// <summary>
/// The portal with the fake two-GPU box (H100 and L40S; this test process shows as a compute process on the H100) and
/// a launcher path that does not exist: jobs the tests commit into the GPU ledger stay as they are (the runner
/// concludes nothing from a launcher it cannot reach), so the pages show exactly those holders.
/// </summary>
public sealed class LedgerGpuPortal : KestrelPortal
{
    public FakeGpuBox Box { get; } = FakeGpuBox.Create(
        [new FakeGpu(GpuCaptures.H100, Pids: [Environment.ProcessId]), new FakeGpu(GpuCaptures.L40S)]);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("Portal:Gpus:SearchPath", Box.SearchPath);
        builder.UseSetting("Portal:Gpus:ProcessRefresh", "00:00:01");
        builder.UseSetting("Portal:Launcher:LauncherPath", "/nonexistent/portal-launcher");
    }

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        Box.Dispose();
    }
}
