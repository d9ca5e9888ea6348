using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;

namespace Portal.Bench.Sessions;

/// <summary>The HTTP clients of the bench: one straight to the app's socket, one to the proxy.</summary>
internal static class Clients
{
    public static HttpClient Direct(string socket) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (_, cancellationToken) =>
        {
            var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            await s.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(socket), cancellationToken);
            return new System.Net.Sockets.NetworkStream(s, ownsSocket: true);
        },
    })
    { BaseAddress = new Uri("http://localhost") };

    public static HttpClient Proxied(string url) => new() { BaseAddress = new Uri(url) };
}

/// <summary>The three measurements; each times the same work both ways in the same run.</summary>
internal static class Measure
{
    private const string Page = "/s/1/api/contents?type=directory&padding=" +
        "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789";

    /// <summary>Sequential GETs, alternating batches of 100 between the two paths so that drift hits both alike.</summary>
    public static async Task<(List<double> Direct, List<double> Proxied)> RequestsAsync(HttpClient direct, HttpClient proxied, int count)
    {
        List<double> d = [], p = [];
        for (int done = 0; done < count; done += 100)
        {
            foreach ((HttpClient client, List<double> into) in new[] { (direct, d), (proxied, p) })
            {
                for (int i = 0; i < 100; i++)
                {
                    long start = Stopwatch.GetTimestamp();
                    using HttpResponseMessage response = await client.GetAsync(Page);
                    await response.Content.ReadAsByteArrayAsync();
                    into.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    response.EnsureSuccessStatusCode();
                }
            }
        }

        return (d, p);
    }

    /// <summary>Echo round trips of a 64-byte text message on one WebSocket each way, in alternating batches.</summary>
    public static async Task<(List<double> Direct, List<double> Proxied)> WebSocketRoundTripsAsync(string socket, string proxyUrl, int count)
    {
        using var directWs = new ClientWebSocket();
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) =>
            {
                var s = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
                await s.ConnectAsync(new System.Net.Sockets.UnixDomainSocketEndPoint(socket), cancellationToken);
                return new System.Net.Sockets.NetworkStream(s, ownsSocket: true);
            },
        });
        await directWs.ConnectAsync(new Uri("ws://localhost/s/1/api/kernels/k/channels"), invoker, CancellationToken.None);
        using ClientWebSocket proxiedWs = await ConnectProxiedAsync(proxyUrl);
        byte[] message = new byte[64];
        Array.Fill(message, (byte)'x');
        byte[] buffer = new byte[256];
        for (int i = 0; i < 200; i++)
        {
            await RoundTripAsync(directWs, message, buffer);
            await RoundTripAsync(proxiedWs, message, buffer);
        }

        List<double> d = [], p = [];
        for (int done = 0; done < count; done += 100)
        {
            foreach ((ClientWebSocket ws, List<double> into) in new[] { (directWs, d), (proxiedWs, p) })
            {
                for (int i = 0; i < 100; i++)
                {
                    long start = Stopwatch.GetTimestamp();
                    await RoundTripAsync(ws, message, buffer);
                    into.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
            }
        }

        return (d, p);
    }

    /// <summary>
    /// Opens <paramref name="count"/> WebSockets through the proxy, then for <paramref name="window"/> each echoes one
    /// message a second (spread evenly), and returns the proxy process's CPU time over the window in cores.
    /// </summary>
    public static async Task<double> IdleWebSocketsCpuAsync(string proxyUrl, Process proxy, int count, TimeSpan window)
    {
        List<ClientWebSocket> all = [];
        try
        {
            for (int i = 0; i < count; i++)
            {
                all.Add(await ConnectProxiedAsync(proxyUrl));
            }

            using var stop = new CancellationTokenSource(window);
            double before = CpuSeconds(proxy.Id);
            long start = Stopwatch.GetTimestamp();
            await Task.WhenAll(all.Select((ws, i) => EchoEverySecondAsync(ws, TimeSpan.FromMilliseconds(1000.0 * i / count), stop.Token)));
            double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            return (CpuSeconds(proxy.Id) - before) / elapsed;
        }
        finally
        {
            foreach (ClientWebSocket ws in all)
            {
                ws.Abort();
                ws.Dispose();
            }
        }
    }

    private static async Task EchoEverySecondAsync(ClientWebSocket ws, TimeSpan offset, CancellationToken stop)
    {
        byte[] message = new byte[100];
        byte[] buffer = new byte[256];
        try
        {
            await Task.Delay(offset, stop);
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
            do
            {
                await RoundTripAsync(ws, message, buffer);
            }
            while (await timer.WaitForNextTickAsync(stop));
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    private static async Task<ClientWebSocket> ConnectProxiedAsync(string proxyUrl)
    {
        var ws = new ClientWebSocket();
        ws.Options.SetRequestHeader("Origin", proxyUrl);
        await ws.ConnectAsync(new Uri(proxyUrl.Replace("http://", "ws://", StringComparison.Ordinal) + "/s/1/api/kernels/k/channels"), CancellationToken.None);
        return ws;
    }

    private static async Task RoundTripAsync(ClientWebSocket ws, byte[] message, byte[] buffer)
    {
        await ws.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
        WebSocketReceiveResult r = await ws.ReceiveAsync(buffer, CancellationToken.None);
        if (r.Count != message.Length)
        {
            throw new InvalidOperationException("The echo came back short.");
        }
    }

    /// <summary>utime + stime of a process, in seconds (/proc/PID/stat, clock ticks of 1/100 s).</summary>
    private static double CpuSeconds(int pid)
    {
        string stat = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }
}
