namespace Portal.Web.Services.Sessions.Activity;

/// <summary>
/// What the proxy has seen of one session since the portal started: the signal "someone is using it through the
/// browser". Pings and pongs do not count as messages (an open tab alone would otherwise keep a session busy).
/// </summary>
/// <param name="LastRequestAt">When the last proxied HTTP request began (WebSocket upgrades included); null if none.</param>
/// <param name="LastWebSocketMessageAt">When the last WebSocket data frame passed, either way; null if none.</param>
/// <param name="OpenWebSockets">WebSockets open through the proxy now.</param>
/// <param name="OpenRequests">HTTP requests in flight now (WebSockets not included).</param>
public sealed record SessionTraffic(DateTimeOffset? LastRequestAt, DateTimeOffset? LastWebSocketMessageAt, int OpenWebSockets, int OpenRequests)
{
    /// <summary>The later of the two times, or null when the proxy has seen nothing.</summary>
    public DateTimeOffset? LastActivityAt =>
        LastRequestAt is null ? LastWebSocketMessageAt
        : LastWebSocketMessageAt is null || LastRequestAt > LastWebSocketMessageAt ? LastRequestAt
        : LastWebSocketMessageAt;
}

/// <summary>Read side of the proxy's activity record, for idle reclaim and the session page.</summary>
public interface ISessionTrafficSource
{
    /// <summary>What the proxy has seen of the job, or null if nothing since the portal started.</summary>
    SessionTraffic? Traffic(long jobId);
}
