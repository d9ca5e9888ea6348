// Live dashboard load: N open dashboards (N Blazor circuits) on a Release portal whose fake nvidia-smi reports two
// GPUs at 1 Hz. Measures the portal process's CPU time and resident memory from /proc, and its managed heap after a
// full GC (dotnet-gcdump, when installed), with no dashboard open (baseline) and with N open, in the same run. Usage:
//   dotnet publish -c Release -o /tmp/portal-publish src/Portal.Web
//   dotnet run -c Release --project bench/dashboard -- [--client headless|playwright] [--portal-dll /tmp/portal-publish/Portal.Web.dll]
//       [--circuits N] [--seconds S] [--settle S]
// A published portal, as in production: an unpublished build in the Production environment does not serve the
// framework's static files (blazor.web.js), so no browser circuit would start.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Portal.Bench.Dashboard;
using Portal.Bench.Dashboard.Headless;
using Portal.Web.Tests.Components.Gpus;

var client = Arg("--client") ?? "headless";
var circuits = IntArg("--circuits", client == "headless" ? 200 : 20);
var seconds = IntArg("--seconds", 60);
// Time between "all live" and the loaded measurement: the first minute of a circuit path includes its tier-1 JIT.
var settle = IntArg("--settle", 30);
var portalDll = Arg("--portal-dll") ?? "/tmp/portal-publish/Portal.Web.dll";
if (client is not ("headless" or "playwright"))
{
    Console.Error.WriteLine($"--client is headless or playwright, not '{client}'.");
    return 2;
}

if (!File.Exists(portalDll))
{
    Console.Error.WriteLine($"{portalDll} is missing: dotnet publish -c Release -o {Path.GetDirectoryName(portalDll)} src/Portal.Web first.");
    return 2;
}

var gcdump = ManagedHeap.FindTool();
using var box = FakeGpuBox.Create([new FakeGpu(GpuCaptures.H100), new FakeGpu(GpuCaptures.L40S)]);
// Not CreateTempSubdirectory: its 0700 folder would keep the private PostgreSQL cluster's own account out.
var dataDirectory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"portal-bench-dashboard-{Guid.NewGuid():N}")).FullName;
var address = new Uri($"http://127.0.0.1:{FreePort()}/");
await using var portal = PortalProcess.Start(portalDll, address, dataDirectory, box.SearchPath);
var (adminName, oneTimePassword) = await portal.FirstAdminAsync.WaitAsync(TimeSpan.FromMinutes(3));
await portal.WaitUntilListeningAsync(address, TimeSpan.FromMinutes(2));
Console.WriteLine($"portal pid {portal.Pid} at {address}; {client} client, {circuits} circuits, {seconds} s per phase; {Environment.ProcessorCount} cores; load average {LoadAverage()}");
if (gcdump is null)
{
    Console.WriteLine("dotnet-gcdump is not installed (dotnet tool install -g dotnet-gcdump): the managed heap is not measured.");
}

const string NewPassword = "Bench-Dashboard-2026-Pw";
using (var cancel = new CancellationTokenSource(TimeSpan.FromMinutes(3)))
{
    var (admin, location) = await PortalSession.SignInAsync(address, adminName, oneTimePassword, cancel.Token);
    using (admin)
    {
        if (location != "/account/change-password")
        {
            throw new InvalidOperationException($"The first sign-in went to '{location}', not the password change.");
        }

        await admin.ChangePasswordAsync(oneTimePassword, NewPassword, cancel.Token);
    }
}

await using IDashboardClients clients = client == "headless"
    ? new HeadlessDashboards(address, adminName, NewPassword)
    : await PlaywrightDashboards.SignInAsync(address, adminName, NewPassword);

Console.WriteLine("baseline: no dashboard open");
await Task.Delay(TimeSpan.FromSeconds(10));
var baseline = await MeasureAsync(portal, seconds, gcdump, Path.Combine(dataDirectory, "baseline.gcdump"));

Console.WriteLine($"opening {circuits} dashboards");
var opening = Stopwatch.StartNew();
await clients.OpenAsync(circuits);
var headless = clients as HeadlessDashboards;
if (headless is not null)
{
    Console.WriteLine($"  {circuits - headless.Failures.Count} opened in {opening.Elapsed.TotalSeconds:0} s");
    foreach (var failure in headless.Failures.GroupBy(f => f))
    {
        Console.WriteLine($"  failed to open: {failure.Count()} x {failure.Key}");
    }
}

var liveBefore = headless is not null ? await headless.CountLiveAsync(TimeSpan.FromSeconds(60)) : await clients.CountLiveAsync();
Console.WriteLine($"{liveBefore} of {circuits} receive updates; settling for {settle} s");
await Task.Delay(TimeSpan.FromSeconds(settle));
var batchesBefore = headless?.BatchCounts();
var loaded = await MeasureAsync(portal, seconds, gcdump: null, dumpPath: null, () => headless?.BatchCounts() is { } after
    ? $"render batches per circuit per second (min / median / max): {HeadlessDashboards.Rates(batchesBefore!, after, TimeSpan.FromSeconds(seconds))}"
    : null);
var liveAfter = await clients.CountLiveAsync();
var loadedHeap = gcdump is null ? null : await ManagedHeap.LiveBytesAsync(gcdump, portal.Pid, Path.Combine(dataDirectory, "loaded.gcdump")) as long?;
if (headless is not null)
{
    foreach (var ended in headless.Ended())
    {
        Console.WriteLine($"  ended early: {ended}");
    }

    Console.WriteLine($"  JS interop calls answered: {headless.Answers.Summary()}");
}

var cores = loaded.Cores;
var perCircuitKiB = (loaded.RssKiB - baseline.RssKiB) / (double)circuits;
var heapLine = baseline.HeapBytes is { } heap0 && loadedHeap is { } heap1
    ? string.Create(CultureInfo.InvariantCulture, $"{(heap1 - heap0) / 1024.0 / circuits:0} KiB (managed heap after a full GC: {heap0 / 1048576.0:0.0} -> {heap1 / 1048576.0:0.0} MiB)")
    : "not measured (no dotnet-gcdump)";
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""

    client                   {client}
    circuits                 {circuits} ({liveBefore} live before the measurement, {liveAfter} after)
    baseline (0 circuits)    {baseline.Cores:0.000} cores, RSS {baseline.RssKiB / 1024.0:0.0} MiB
    with {circuits,-4} circuits       {cores:0.000} cores, RSS {loaded.RssKiB / 1024.0:0.0} MiB
    CPU for the circuits     {cores - baseline.Cores:0.000} cores ({(cores - baseline.Cores) / circuits * 1000:0.00} millicores per circuit)
    memory per circuit       {perCircuitKiB:0} KiB (RSS difference / circuits)
    managed heap per circuit {heapLine}
    ratio to baseline        CPU x{(baseline.Cores > 0 ? cores / baseline.Cores : double.NaN):0.0}, RSS x{loaded.RssKiB / (double)baseline.RssKiB:0.00}
    load average at the end  {LoadAverage()}
    heap dumps               {dataDirectory}/*.gcdump
    """));
return 0;

static async Task<(double Cores, long RssKiB, long? HeapBytes)> MeasureAsync(
    PortalProcess portal, int seconds, string? gcdump, string? dumpPath, Func<string?>? extra = null)
{
    var cpu0 = portal.CpuTime();
    var clock = Stopwatch.StartNew();
    await Task.Delay(TimeSpan.FromSeconds(seconds));
    var cores = (portal.CpuTime() - cpu0).TotalSeconds / clock.Elapsed.TotalSeconds;
    var rss = portal.RssKiB();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {cores:0.000} cores, RSS {rss / 1024.0:0.0} MiB over {clock.Elapsed.TotalSeconds:0} s; load average {LoadAverage()}"));
    if (extra?.Invoke() is { } line)
    {
        Console.WriteLine($"  {line}");
    }

    // After the CPU window: the dump's full GC and heap walk cost the portal CPU of their own.
    long? heap = gcdump is null || dumpPath is null ? null : await ManagedHeap.LiveBytesAsync(gcdump, portal.Pid, dumpPath);
    if (heap is { } bytes)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  managed heap after a full GC {bytes / 1048576.0:0.0} MiB"));
    }

    return (cores, rss, heap);
}

static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

int IntArg(string name, int fallback) => Arg(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
