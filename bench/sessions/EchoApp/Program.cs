using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.Json;

namespace Portal.SessionEchoApp;

// Usage: session-echo-app --socket PATH [--mode 660]
//   GET  any path            -> JSON: method, path, query, headers (what the proxy forwarded)
//   POST any path            -> JSON: bytes received and their SHA-256
//   WebSocket any path       -> echoes every message back
//   GET  .../api/status      -> Jupyter-like status: {"last_activity": "...", "connections": n, "kernels": 0}
// Prints "listening" once the socket accepts connections.
internal static class EchoApp
{
    public static async Task<int> Main(string[] args)
    {
        string socket = Arg(args, "--socket") ?? throw new ArgumentException("--socket PATH is required");
        string? mode = Arg(args, "--mode");
        if (File.Exists(socket))
        {
            File.Delete(socket);
        }

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.ListenUnixSocket(socket);
            k.Limits.MaxRequestBodySize = null;
        });
        WebApplication app = builder.Build();
        app.UseWebSockets();
        int connections = 0;
        DateTimeOffset lastActivity = DateTimeOffset.UtcNow;
        app.Run(async context =>
        {
            lastActivity = DateTimeOffset.UtcNow;
            if (context.WebSockets.IsWebSocketRequest)
            {
                using WebSocket ws = await context.WebSockets.AcceptWebSocketAsync();
                Interlocked.Increment(ref connections);
                try
                {
                    await EchoAsync(ws, context.RequestAborted);
                }
                finally
                {
                    Interlocked.Decrement(ref connections);
                }

                return;
            }

            if (context.Request.Path.Value!.EndsWith("/api/status", StringComparison.Ordinal))
            {
                await context.Response.WriteAsJsonAsync(new Dictionary<string, object>
                {
                    ["last_activity"] = lastActivity.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    ["connections"] = connections,
                    ["kernels"] = 0,
                });
                return;
            }

            if (HttpMethods.IsPost(context.Request.Method) || HttpMethods.IsPut(context.Request.Method))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                byte[] buffer = new byte[81920];
                long total = 0;
                int n;
                while ((n = await context.Request.Body.ReadAsync(buffer, context.RequestAborted)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                    total += n;
                }

                await context.Response.WriteAsJsonAsync(new Dictionary<string, object>
                {
                    ["bytes"] = total,
                    ["sha256"] = Convert.ToHexStringLower(hash.GetHashAndReset()),
                });
                return;
            }

            if (context.Request.Query.TryGetValue("set-cookie", out var cookie))
            {
                foreach (string? c in cookie)
                {
                    context.Response.Headers.Append("Set-Cookie", c);
                }
            }

            await context.Response.WriteAsync(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["method"] = context.Request.Method,
                ["path"] = context.Request.Path.Value ?? "",
                ["query"] = context.Request.QueryString.Value ?? "",
                ["headers"] = context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            }));
        });

        await app.StartAsync();
        if (mode is not null)
        {
            File.SetUnixFileMode(socket, (UnixFileMode)Convert.ToInt32(mode, 8));
        }

        Console.WriteLine("listening");
        await app.WaitForShutdownAsync();
        return 0;
    }

    private static async Task EchoAsync(WebSocket ws, CancellationToken aborted)
    {
        byte[] buffer = new byte[64 * 1024];
        while (true)
        {
            ValueWebSocketReceiveResult received;
            int length = 0;
            do
            {
                received = await ws.ReceiveAsync(buffer.AsMemory(length), aborted);
                length += received.Count;
            }
            while (!received.EndOfMessage && length < buffer.Length);

            if (received.MessageType == WebSocketMessageType.Close)
            {
                await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, aborted);
                return;
            }

            await ws.SendAsync(buffer.AsMemory(0, length), received.MessageType, endOfMessage: true, aborted);
        }
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
