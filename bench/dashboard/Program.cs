// Live dashboard load: N browser pages (N Blazor circuits) on the dashboard of a Release portal whose fake
// nvidia-smi reports two GPUs at 1 Hz. Measures the portal process's CPU time and resident memory from /proc with
// no dashboard open (baseline) and with N open, in the same run. Usage:
//   dotnet publish -c Release -o /tmp/portal-publish src/Portal.Web
//   dotnet run -c Release --project bench/dashboard -- [--portal-dll /tmp/portal-publish/Portal.Web.dll] [--circuits N] [--seconds S]
// A published portal, as in production: an unpublished build in the Production environment does not serve the
// packages' static files (blazor.web.js, MudBlazor), so no circuit would start.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Playwright;
using Portal.Bench.Dashboard;
using Portal.Web.Tests.Components.Gpus;

var circuits = IntArg("--circuits", 20);
var seconds = IntArg("--seconds", 60);
var portalDll = Arg("--portal-dll") ?? "/tmp/portal-publish/Portal.Web.dll";
if (!File.Exists(portalDll))
{
    Console.Error.WriteLine($"{portalDll} is missing: dotnet publish -c Release -o {Path.GetDirectoryName(portalDll)} src/Portal.Web first.");
    return 2;
}

using var box = FakeGpuBox.Create([new FakeGpu(GpuCaptures.H100), new FakeGpu(GpuCaptures.L40S)]);
// Not CreateTempSubdirectory: its 0700 folder would keep the private PostgreSQL cluster's own account out.
var dataDirectory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"portal-bench-dashboard-{Guid.NewGuid():N}")).FullName;
var address = new Uri($"http://127.0.0.1:{FreePort()}/");
await using var portal = PortalProcess.Start(portalDll, address, dataDirectory, box.SearchPath);
var (adminName, oneTimePassword) = await portal.FirstAdminAsync.WaitAsync(TimeSpan.FromMinutes(3));
Console.WriteLine($"portal pid {portal.Pid} at {address}; {circuits} circuits, {seconds} s per phase; {Environment.ProcessorCount} cores");

using var playwright = await Playwright.CreateAsync();
await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
{
    ExecutablePath = "/usr/bin/chromium",
    Headless = true,
    Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-renderer-backgrounding",
            "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows"],
});
await using var context = await browser.NewContextAsync(new BrowserNewContextOptions { BaseURL = address.ToString() });
// Opening many pages on a small, busy box is slow: patience instead of Playwright's 30 s default.
context.SetDefaultTimeout(180_000);
context.SetDefaultNavigationTimeout(180_000);
const string NewPassword = "Bench-Dashboard-2026-Pw";
var first = await context.NewPageAsync();
await first.GotoAsync("/account/login");
await first.GetByLabel("User name").FillAsync(adminName);
await first.GetByLabel("Password").FillAsync(oneTimePassword);
await first.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
await first.GetByLabel("Current password").FillAsync(oneTimePassword);
await first.GetByLabel("New password", new() { Exact = true }).FillAsync(NewPassword);
await first.GetByLabel("New password again").FillAsync(NewPassword);
await first.GetByRole(AriaRole.Button, new() { Name = "Change password" }).ClickAsync();
await Assertions.Expect(first.Locator(".gpu-card")).ToHaveCountAsync(2);
await first.GotoAsync("/account/change-password"); // leave the dashboard: its circuit ends with the page
await first.CloseAsync();

Console.WriteLine("baseline: no dashboard open");
await Task.Delay(TimeSpan.FromSeconds(10));
var baseline = await MeasureAsync(portal, seconds);

Console.WriteLine($"opening {circuits} dashboards");
var pages = new List<IPage>();
foreach (var batch in Enumerable.Range(0, circuits).Chunk(4))
{
    pages.AddRange(await Task.WhenAll(batch.Select(async _ =>
    {
        var page = await context.NewPageAsync();
        await page.GotoAsync("/");
        return page;
    })));
}

var liveBefore = (await Task.WhenAll(pages.Select(IsLiveAsync))).Count(live => live);
Console.WriteLine($"{liveBefore} of {circuits} pages receive updates");
var loaded = await MeasureAsync(portal, seconds);
var liveAfter = (await Task.WhenAll(pages.Select(IsLiveAsync))).Count(live => live);

var cores = loaded.Cores;
var perCircuitKiB = (loaded.RssKiB - baseline.RssKiB) / (double)circuits;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""

    circuits                 {circuits} ({liveBefore} live before the measurement, {liveAfter} after)
    baseline (0 circuits)    {baseline.Cores:0.000} cores, RSS {baseline.RssKiB / 1024.0:0.0} MiB
    with {circuits,-4} circuits       {cores:0.000} cores, RSS {loaded.RssKiB / 1024.0:0.0} MiB
    CPU for the circuits     {cores - baseline.Cores:0.000} cores ({(cores - baseline.Cores) / circuits * 1000:0.00} millicores per circuit)
    memory per circuit       {perCircuitKiB:0} KiB (RSS difference / circuits)
    ratio to baseline        CPU x{(baseline.Cores > 0 ? cores / baseline.Cores : double.NaN):0.0}, RSS x{loaded.RssKiB / (double)baseline.RssKiB:0.00}
    """));
return 0;

static async Task<(double Cores, long RssKiB)> MeasureAsync(PortalProcess portal, int seconds)
{
    var cpu0 = portal.CpuTime();
    var clock = Stopwatch.StartNew();
    await Task.Delay(TimeSpan.FromSeconds(seconds));
    var cores = (portal.CpuTime() - cpu0).TotalSeconds / clock.Elapsed.TotalSeconds;
    var rss = portal.RssKiB();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {cores:0.000} cores, RSS {rss / 1024.0:0.0} MiB over {clock.Elapsed.TotalSeconds:0} s"));
    return (cores, rss);
}

// A page is live when its circuit delivers updates: the power reading (idle and load rounds alternate) changes
// within 30 s. A page that is not live is counted, not hidden.
static async Task<bool> IsLiveAsync(IPage page)
{
    var power = page.Locator(".gpu-card .gpu-power .gpu-value").Last;
    try
    {
        await Assertions.Expect(page.Locator(".gpu-card")).ToHaveCountAsync(2, new() { Timeout = 30_000 });
        var before = await power.InnerTextAsync();
        await Assertions.Expect(power).Not.ToHaveTextAsync(before, new() { Timeout = 30_000 });
        return true;
    }
    catch (PlaywrightException)
    {
        return false;
    }
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

int IntArg(string name, int fallback) => Arg(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
