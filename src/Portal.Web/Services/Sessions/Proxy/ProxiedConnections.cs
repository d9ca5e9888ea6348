using System.Collections.Concurrent;
using System.Diagnostics;

namespace Portal.Web.Services.Sessions.Proxy;

/// <summary>
/// Every proxied request and WebSocket in flight, by portal account, so that signing out or being disabled ends them
/// at once: the cookie is checked when a request or WebSocket begins, but a WebSocket can stay open for hours.
/// </summary>
public sealed partial class ProxiedConnections(ILogger<ProxiedConnections> logger)
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<HttpContext, byte>> _byUser = new();
    private readonly ConcurrentDictionary<Guid, long> _closedAt = new();

    /// <summary>
    /// Records <paramref name="context"/> as <paramref name="userId"/>'s until the result is disposed. Returns null,
    /// having aborted the request, when the user's connections were closed after <paramref name="authenticatedAt"/>
    /// (a <see cref="Stopwatch"/> timestamp taken before the cookie was checked): a request that was being
    /// authenticated while the user signed out or was disabled must not slip past <see cref="CloseAllFor"/>.
    /// </summary>
    public Registration? Track(Guid userId, HttpContext context, long authenticatedAt)
    {
        ConcurrentDictionary<HttpContext, byte> mine = _byUser.GetOrAdd(userId, static _ => new ConcurrentDictionary<HttpContext, byte>());
        mine[context] = 0;
        if (_closedAt.TryGetValue(userId, out long closedAt) && closedAt >= authenticatedAt)
        {
            mine.TryRemove(context, out _);
            context.Abort();
            return null;
        }

        return new Registration(mine, context);
    }

    /// <summary>How many of the user's proxied requests and WebSockets are open now.</summary>
    public int CountFor(Guid userId) => _byUser.TryGetValue(userId, out var mine) ? mine.Count : 0;

    /// <summary>Aborts every proxied request and WebSocket of the user (their connections close without a reply).</summary>
    public int CloseAllFor(Guid userId)
    {
        // First the mark, then the sweep: a request tracked after the sweep sees the mark.
        _closedAt[userId] = Stopwatch.GetTimestamp();
        if (!_byUser.TryGetValue(userId, out var mine))
        {
            return 0;
        }

        int closed = 0;
        foreach (HttpContext context in mine.Keys)
        {
            context.Abort();
            closed++;
        }

        if (closed > 0)
        {
            LogClosed(closed, userId);
        }

        return closed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed {Count} proxied session connections of user {UserId}")]
    private partial void LogClosed(int count, Guid userId);

    /// <summary>Removes the request from the record when it ends.</summary>
    public sealed class Registration(ConcurrentDictionary<HttpContext, byte> set, HttpContext context) : IDisposable
    {
        public void Dispose() => set.TryRemove(context, out _);
    }
}
