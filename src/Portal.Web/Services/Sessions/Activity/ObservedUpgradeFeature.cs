using Microsoft.AspNetCore.Http.Features;

namespace Portal.Web.Services.Sessions.Activity;

/// <summary>
/// Stands in for the server's HTTP/1.1 upgrade feature on a proxied WebSocket request, so that the stream the
/// forwarder gets after the 101 is observed (<see cref="ObservedWebSocketStream"/>).
/// </summary>
internal sealed class ObservedUpgradeFeature(IHttpUpgradeFeature inner, SessionTrafficRecorder recorder, SessionTrafficRecorder.Counters job)
    : IHttpUpgradeFeature
{
    public bool IsUpgradableRequest => inner.IsUpgradableRequest;

    public async Task<Stream> UpgradeAsync() => new ObservedWebSocketStream(await inner.UpgradeAsync(), recorder, job);
}

/// <summary>The same for HTTP/2 WebSockets (extended CONNECT, RFC 8441).</summary>
internal sealed class ObservedExtendedConnectFeature(IHttpExtendedConnectFeature inner, SessionTrafficRecorder recorder, SessionTrafficRecorder.Counters job)
    : IHttpExtendedConnectFeature
{
    public bool IsExtendedConnect => inner.IsExtendedConnect;

    public string? Protocol => inner.Protocol;

    public async ValueTask<Stream> AcceptAsync() => new ObservedWebSocketStream(await inner.AcceptAsync(), recorder, job);
}
