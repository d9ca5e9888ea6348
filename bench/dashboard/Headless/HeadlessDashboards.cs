using System.Globalization;

namespace Portal.Bench.Dashboard.Headless;

/// <summary>
/// Dashboards as headless circuits: each one signs in on its own (its own cookies, as a separate browser would),
/// loads the dashboard page and starts the circuit that page asks for.
/// </summary>
internal sealed class HeadlessDashboards(Uri address, string userName, string password) : IDashboardClients
{
    /// <summary>A circuit with no render batch for this long is not live.</summary>
    public static readonly TimeSpan Silence = TimeSpan.FromSeconds(5);

    private readonly List<HeadlessCircuit> _open = [];
    private readonly WarningLog _log = new();
    private readonly List<string> _failures = [];

    /// <summary>The JS interop calls answered so far.</summary>
    public JsCallAnswers Answers { get; } = new();

    public IReadOnlyList<string> Failures => _failures;

    public async Task OpenAsync(int count)
    {
        // A few at a time: each sign-in makes the portal hash a password, and a descriptor is only valid for a while.
        using var gate = new SemaphoreSlim(8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await Task.WhenAll(Enumerable.Range(0, count).Select(async _ =>
        {
            await gate.WaitAsync(timeout.Token);
            try
            {
                var (session, location) = await PortalSession.SignInAsync(address, userName, password, timeout.Token);
                HeadlessCircuit circuit;
                // A dashboard tab makes no more HTTP requests once its circuit runs: the page's keep-alive
                // connection is closed, or the portal would hold an idle HTTP connection per circuit for a while.
                using (session)
                {
                    if (location != "/")
                    {
                        throw new InvalidOperationException($"Signing in sent the browser to '{location}', not the dashboard.");
                    }

                    circuit = await HeadlessCircuit.StartAsync(session, Answers, _log, timeout.Token);
                }

                lock (_open)
                {
                    _open.Add(circuit);
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or HttpRequestException or TimeoutException or OperationCanceledException)
            {
                lock (_failures)
                {
                    _failures.Add(ex.Message);
                }
            }
            finally
            {
                gate.Release();
            }
        }));
    }

    /// <summary>Live circuits now: a render batch within the last 5 s, no error. Waits up to
    /// <paramref name="patience"/> for all of them to be live, so slow starters are not counted out at once.</summary>
    public async Task<int> CountLiveAsync(TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (LiveNow() < _open.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        return LiveNow();
    }

    public Task<int> CountLiveAsync() => Task.FromResult(LiveNow());

    /// <summary>Render batches received so far, one count per circuit.</summary>
    public long[] BatchCounts() => _open.Select(c => c.Batches).ToArray();

    /// <summary>"min / median / max batches per second per circuit" between two <see cref="BatchCounts"/>.</summary>
    public static string Rates(long[] before, long[] after, TimeSpan elapsed)
    {
        var rates = after.Zip(before, (a, b) => (a - b) / elapsed.TotalSeconds).Order().ToArray();
        return rates.Length == 0
            ? "no circuits"
            : string.Create(CultureInfo.InvariantCulture, $"{rates[0]:0.00} / {rates[rates.Length / 2]:0.00} / {rates[^1]:0.00}");
    }

    /// <summary>Why circuits that ended early ended, one line per distinct reason.</summary>
    public IEnumerable<string> Ended() =>
        _open.Select(c => c.Failure).OfType<string>().GroupBy(f => f).Select(g => $"{g.Count()} x {g.Key}");

    public async ValueTask DisposeAsync()
    {
        foreach (var circuit in _open)
        {
            await circuit.DisposeAsync();
        }

        _log.Dispose();
    }

    private int LiveNow() => _open.Count(c => c.IsLive(Silence));
}
