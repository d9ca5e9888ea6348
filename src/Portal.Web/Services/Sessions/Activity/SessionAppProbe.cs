using System.Globalization;
using System.Text.Json;
using Portal.Core.Sessions;
using Portal.Web.Services.Sessions.Proxy;

namespace Portal.Web.Services.Sessions.Activity;

/// <summary>What a session's app says about itself, asked over its socket (with the same peer check as the proxy).</summary>
/// <param name="Answers">The app answered HTTP: the session can be opened.</param>
/// <param name="LastActivity">Jupyter's <c>last_activity</c> (its own view of use: requests, kernel messages).</param>
/// <param name="Connections">Jupyter's open kernel connections (browser tabs with a notebook).</param>
/// <param name="Kernels">Jupyter's running kernels.</param>
/// <param name="BusyKernels">Jupyter's kernels whose <c>execution_state</c> is busy: a computation running, watched or not.</param>
/// <param name="LastHeartbeat">code-server's <c>lastHeartbeat</c> (about once a minute while a browser is connected).</param>
public sealed record SessionAppView(
    bool Answers,
    DateTimeOffset? LastActivity = null,
    int? Connections = null,
    int? Kernels = null,
    int? BusyKernels = null,
    DateTimeOffset? LastHeartbeat = null)
{
    public static SessionAppView Silent { get; } = new(false);
}

/// <summary>Asks a session's app about itself: readiness for the job page, activity for idle reclaim.</summary>
public interface ISessionAppProbe
{
    Task<SessionAppView> ProbeAsync(SessionTarget target, SessionKind kind, CancellationToken cancellationToken);
}

/// <summary>
/// Jupyter: <c>GET &lt;base&gt;api/status</c> and <c>GET &lt;base&gt;api/kernels</c>; code-server: <c>GET /healthz</c>; any
/// other app: <c>GET &lt;base&gt;</c>, where any HTTP answer means it is up.
/// </summary>
public sealed class SessionAppProbe(SessionSocketClient client) : ISessionAppProbe
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(3);

    public async Task<SessionAppView> ProbeAsync(SessionTarget target, SessionKind kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(target);
        try
        {
            switch (kind)
            {
                case SessionKind.Jupyter:
                    // no_track_activity: Jupyter would otherwise count the probe itself as use (its api/kernels does),
                    // and a session would never look idle.
                    using (JsonDocument? status = await GetJsonAsync(target, target.PathPrefix + "api/status?no_track_activity=1", cancellationToken))
                    using (JsonDocument? kernels = await GetJsonAsync(target, target.PathPrefix + "api/kernels?no_track_activity=1", cancellationToken))
                    {
                        if (status is null)
                        {
                            return SessionAppView.Silent;
                        }

                        JsonElement s = status.RootElement;
                        int? busy = kernels?.RootElement.ValueKind == JsonValueKind.Array
                            ? kernels.RootElement.EnumerateArray().Count(k => k.TryGetProperty("execution_state", out JsonElement e) && e.GetString() == "busy")
                            : null;
                        return new SessionAppView(true, Time(s, "last_activity"), Int(s, "connections"), Int(s, "kernels"), busy);
                    }

                case SessionKind.VsCode:
                    using (JsonDocument? health = await GetJsonAsync(target, "/healthz", cancellationToken))
                    {
                        return health is null ? SessionAppView.Silent
                            : new SessionAppView(true, LastHeartbeat: health.RootElement.TryGetProperty("lastHeartbeat", out JsonElement h) && h.TryGetInt64(out long ms) && ms > 0
                                ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null);
                    }

                default:
                    using (HttpResponseMessage? page = await GetAsync(target, target.PathPrefix, cancellationToken))
                    {
                        return new SessionAppView(page is not null);
                    }
            }
        }
        catch (JsonException)
        {
            // It answered, but not as the kind says it would: up, with nothing to tell.
            return new SessionAppView(true);
        }
    }

    private async Task<JsonDocument?> GetJsonAsync(SessionTarget target, string path, CancellationToken cancellationToken)
    {
        using HttpResponseMessage? response = await GetAsync(target, path, cancellationToken);
        return response is { IsSuccessStatusCode: true }
            ? await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken)
            : null;
    }

    /// <summary>The app's answer, or null when nothing answers (not started yet, gone, or a foreign peer).</summary>
    private async Task<HttpResponseMessage?> GetAsync(SessionTarget target, string path, CancellationToken cancellationToken)
    {
        // code-server serves from "/": its paths are the app's own, not the portal's.
        string appPath = target.PathMode == SessionPathMode.StripPrefix && path.StartsWith(target.PathPrefix, StringComparison.Ordinal)
            ? path[(target.PathPrefix.Length - 1)..] : path;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(SessionSocketClient.DestinationPrefix(target.JobId).TrimEnd('/') + appPath))
        {
            Version = System.Net.HttpVersion.Version11,
        };
        request.Headers.Host = "localhost";
        SessionSocketClient.Address(request, target);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(Deadline);
        try
        {
            HttpResponseMessage response = await client.Invoker.SendAsync(request, deadline.Token);
            await response.Content.LoadIntoBufferAsync(deadline.Token);
            return response;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private static int? Int(JsonElement e, string name) => e.TryGetProperty(name, out JsonElement v) && v.TryGetInt32(out int i) ? i : null;

    private static DateTimeOffset? Time(JsonElement e, string name) =>
        e.TryGetProperty(name, out JsonElement v) && v.ValueKind == JsonValueKind.String
        && DateTimeOffset.TryParse(v.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset t) ? t : null;
}
