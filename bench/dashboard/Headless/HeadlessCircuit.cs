using System.Diagnostics;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Portal.Bench.Dashboard.Headless;

/// <summary>
/// One Blazor Server circuit driven without a browser, speaking to <c>/_blazor</c> as blazor.web.js (.NET 10) does:
/// <c>StartCircuit</c> with no initial components, then, once the server has attached its renderer through JS
/// interop, <c>UpdateRootComponents</c> with the page's prerendered component markers. Every render batch is
/// acknowledged (the server stops rendering after 10 unacknowledged ones) and every JS interop call is answered as a
/// successful call, so the components proceed as in a page that rendered them. Nothing is rendered: batches are
/// counted, which is what tells a live circuit.
/// </summary>
internal sealed class HeadlessCircuit : IAsyncDisposable
{
    private const string AttachRendererInterop = "Blazor._internal.attachWebRendererInterop";

    private readonly HubConnection _connection;
    private readonly JsCallAnswers _answers;
    private readonly TaskCompletionSource _rendererAttached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _batches;
    private long _lastBatchTimestamp;
    private string? _failure;

    private HeadlessCircuit(HubConnection connection, JsCallAnswers answers)
    {
        _connection = connection;
        _answers = answers;
        connection.On<long, byte[]>("JS.RenderBatch", OnRenderBatchAsync);
        connection.On<long, string, string?, int, long, int>("JS.BeginInvokeJS", OnBeginInvokeJSAsync);
        // Answers to .NET calls from JS: this client makes none, but the server may still send some.
        connection.On<string, bool, string?>("JS.EndInvokeDotNet", (_, _, _) => { });
        connection.On<long>("JS.EndUpdateRootComponents", _ => { });
        // Where in the DOM a root component goes: there is no DOM here.
        connection.On<int, string>("JS.AttachComponent", (_, _) => { });
        connection.On<string?>("JS.Error", error => _failure ??= $"JS.Error: {error}");
        connection.Closed += error =>
        {
            _failure ??= $"connection closed: {error?.Message ?? "by the server"}";
            return Task.CompletedTask;
        };
    }

    /// <summary>Render batches received so far.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Why the circuit ended, or null while it runs.</summary>
    public string? Failure => _failure;

    /// <summary>Live: connected, no error, and a render batch within the last <paramref name="silence"/>.</summary>
    public bool IsLive(TimeSpan silence) =>
        _failure is null
        && _connection.State == HubConnectionState.Connected
        && Interlocked.Read(ref _lastBatchTimestamp) is var last and > 0
        && Stopwatch.GetElapsedTime(last) <= silence;

    /// <summary>Loads the dashboard page in <paramref name="session"/> and starts its circuit.</summary>
    public static async Task<HeadlessCircuit> StartAsync(PortalSession session, JsCallAnswers answers, ILoggerProvider log, CancellationToken cancellationToken)
    {
        var html = await session.GetPageAsync("/", cancellationToken);
        var operations = ComponentMarkers.AddOperations(html, batchId: 1);
        var state = ComponentMarkers.PersistedState(html);

        var builder = new HubConnectionBuilder()
            .WithUrl(new Uri(session.Address, "_blazor"), options =>
            {
                options.Cookies = session.Cookies;
                options.Transports = HttpTransportType.WebSockets;
                // The browser negotiates first, over a keep-alive connection that it soon lets go; here that idle
                // connection would stay open beside the socket and be counted as circuit memory. The circuit is
                // the same either way: the server creates the connection at negotiation or at the socket's request.
                options.SkipNegotiation = true;
            })
            .ConfigureLogging(logging => logging.AddProvider(log).SetMinimumLevel(LogLevel.Warning));
        builder.Services.AddSingleton<IHubProtocol, BlazorPackHubProtocol>();
        var circuit = new HeadlessCircuit(builder.Build(), answers);
        try
        {
            await circuit._connection.StartAsync(cancellationToken);
            var secret = await circuit._connection.InvokeAsync<string?>(
                "StartCircuit", session.Address.ToString(), session.Address.ToString(), "[]", state, cancellationToken);
            if (string.IsNullOrEmpty(secret))
            {
                throw new InvalidOperationException($"StartCircuit was refused ({circuit._failure ?? "no reason given"}).");
            }

            // The browser adds root components only once the server renderer is attached.
            await circuit._rendererAttached.Task.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
            await circuit._connection.SendAsync("UpdateRootComponents", operations, state, cancellationToken);
            return circuit;
        }
        catch
        {
            await circuit.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync();

    private async Task OnRenderBatchAsync(long batchId, byte[] batch)
    {
        Interlocked.Increment(ref _batches);
        Interlocked.Exchange(ref _lastBatchTimestamp, Stopwatch.GetTimestamp());
        await _connection.SendAsync("OnRenderCompleted", batchId, (string?)null);
    }

    private async Task OnBeginInvokeJSAsync(long asyncHandle, string identifier, string? argsJson, int resultType, long targetInstanceId, int callType)
    {
        if (identifier == AttachRendererInterop)
        {
            _rendererAttached.TrySetResult();
        }

        var result = _answers.Answer(identifier);
        // Handle 0: the server wants no answer (a fire-and-forget call).
        if (asyncHandle != 0)
        {
            // The payload blazor.web.js sends: [handle, succeeded, result].
            await _connection.SendAsync("EndInvokeJSFromDotNet", asyncHandle, true, $"[{asyncHandle},true,{result}]");
        }
    }
}
