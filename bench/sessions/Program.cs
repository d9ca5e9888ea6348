using System.Diagnostics;
using System.Globalization;

namespace Portal.Bench.Sessions;

// bench/sessions: the session proxy against the app's socket directly (docs/sessions.md). See README.md.
//   dotnet run -c Release --project bench/sessions -- [requests] [webSockets]
// Internal: --serve-proxy SOCKET UID (the proxy in a process of its own, so its CPU is its own).
// The proxy checks that the app's socket is served by the session's owner: here, whoever runs the bench.
internal static class BenchMain
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 3 && args[0] == "--serve-proxy")
        {
            await ProxyHost.RunAsync(args[1], uint.Parse(args[2], CultureInfo.InvariantCulture));
            return 0;
        }

        int requests = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5000;
        int sockets = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 200;
        string dir = Directory.CreateTempSubdirectory("portal-bench-sessions-").FullName;
        string socket = Path.Combine(dir, "http.sock");
        string here = AppContext.BaseDirectory;
        uint uid = uint.Parse(File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal))
            .Split('\t', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);

        using Process app = Start("dotnet", Path.Combine(here, "session-echo-app.dll"), "--socket", socket);
        await WaitForLineAsync(app, "listening");
        using Process proxy = Start("dotnet", Path.Combine(here, "Portal.Bench.Sessions.dll"), "--serve-proxy", socket, uid.ToString(CultureInfo.InvariantCulture));
        string proxyUrl = await WaitForLineAsync(proxy, "http://");
        try
        {
            var direct = Clients.Direct(socket);
            var proxied = Clients.Proxied(proxyUrl);
            Console.WriteLine($"machine: {Environment.ProcessorCount} cores; {requests} requests and {requests} WebSocket messages each way, alternating in batches of 100");

            // Warm both paths (JIT, pools) before measuring.
            await Measure.RequestsAsync(direct, proxied, 500);
            var (d, p) = await Measure.RequestsAsync(direct, proxied, requests);
            Report("HTTP GET (the app echoes the request, about 0.5 KiB)", d, p);

            var (wd, wp) = await Measure.WebSocketRoundTripsAsync(socket, proxyUrl, requests);
            Report("WebSocket echo, 64 B message", wd, wp);

            var cpu = await Measure.IdleWebSocketsCpuAsync(proxyUrl, proxy, sockets, TimeSpan.FromSeconds(20));
            Console.WriteLine($"{sockets} proxied WebSockets, each echoing one message per second for 20 s: proxy process CPU {cpu:0.000} cores (target < 0.25)");
            return 0;
        }
        finally
        {
            proxy.Kill();
            app.Kill();
            await proxy.WaitForExitAsync();
            await app.WaitForExitAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static void Report(string what, List<double> direct, List<double> proxied)
    {
        double P(List<double> xs, double q) => xs.Order().ElementAt((int)Math.Min(xs.Count - 1, Math.Floor(q * xs.Count)));
        Console.WriteLine(FormattableString.Invariant(
            $"{what}: direct p50 {P(direct, 0.5):0.000} ms p99 {P(direct, 0.99):0.000} ms; proxied p50 {P(proxied, 0.5):0.000} ms p99 {P(proxied, 0.99):0.000} ms; added p50 {P(proxied, 0.5) - P(direct, 0.5):0.000} ms p99 {P(proxied, 0.99) - P(direct, 0.99):0.000} ms"));
    }

    private static Process Start(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        info.Environment["DOTNET_TieredPGO"] = "1";
        return Process.Start(info)!;
    }

    private static async Task<string> WaitForLineAsync(Process process, string start)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(deadline.Token) is { } line)
        {
            if (line.StartsWith(start, StringComparison.Ordinal))
            {
                return line;
            }
        }

        throw new InvalidOperationException($"{process.StartInfo.FileName} ended before printing '{start}'.");
    }
}
