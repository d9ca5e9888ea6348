using System.Collections.Concurrent;

namespace Portal.Web.Services.Sessions.Activity;

/// <summary>
/// Records, per job, the proxy's traffic: lock-free counters and times updated on every request and WebSocket frame,
/// read by <see cref="ISessionTrafficSource"/>. Entries are dropped by <see cref="Forget"/> when the job ends.
/// </summary>
public sealed class SessionTrafficRecorder(TimeProvider clock) : ISessionTrafficSource
{
    private readonly ConcurrentDictionary<long, Counters> _jobs = new();

    public SessionTraffic? Traffic(long jobId) =>
        _jobs.TryGetValue(jobId, out Counters? c)
            ? new SessionTraffic(At(Volatile.Read(ref c.LastRequestTicks)), At(Volatile.Read(ref c.LastMessageTicks)),
                Volatile.Read(ref c.OpenWebSockets), Volatile.Read(ref c.OpenRequests))
            : null;

    /// <summary>A request (or WebSocket upgrade) began; dispose the result when it ends.</summary>
    public RequestScope RequestStarted(long jobId, bool webSocket)
    {
        Counters c = _jobs.GetOrAdd(jobId, static _ => new Counters());
        Volatile.Write(ref c.LastRequestTicks, Now());
        if (webSocket)
        {
            Interlocked.Increment(ref c.OpenWebSockets);
        }
        else
        {
            Interlocked.Increment(ref c.OpenRequests);
        }

        return new RequestScope(c, webSocket);
    }

    /// <summary>A WebSocket data frame (text, binary) passed through the proxy.</summary>
    internal void WebSocketMessage(Counters counters) => Volatile.Write(ref counters.LastMessageTicks, Now());

    /// <summary>The job ended: its record goes.</summary>
    public void Forget(long jobId) => _jobs.TryRemove(jobId, out _);

    private long Now() => clock.GetUtcNow().UtcTicks;

    private static DateTimeOffset? At(long ticks) => ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);

    /// <summary>One job's counters (fields, so that Interlocked and Volatile can use them).</summary>
    internal sealed class Counters
    {
        public long LastRequestTicks;
        public long LastMessageTicks;
        public int OpenWebSockets;
        public int OpenRequests;
    }

    /// <summary>Ends a request's count; for a WebSocket, also the sink its frames report to.</summary>
    public readonly struct RequestScope : IDisposable
    {
        private readonly bool _webSocket;

        internal RequestScope(Counters counters, bool webSocket)
        {
            Job = counters;
            _webSocket = webSocket;
        }

        internal Counters Job { get; }

        public void Dispose()
        {
            if (_webSocket)
            {
                Interlocked.Decrement(ref Job.OpenWebSockets);
            }
            else
            {
                Interlocked.Decrement(ref Job.OpenRequests);
            }
        }
    }
}
