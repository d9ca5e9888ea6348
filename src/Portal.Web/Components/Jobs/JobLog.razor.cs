using Microsoft.AspNetCore.Components;
using Microsoft.JSInterop;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Jobs;

namespace Portal.Web.Components.Jobs;

public sealed partial class JobLog
{
    /// <summary>Lines kept on screen; the download has the rest.</summary>
    public const int MaxLines = 2000;

    private static readonly TimeSpan RenderInterval = TimeSpan.FromMilliseconds(200);

    [Parameter, EditorRequired]
    public long JobId { get; set; }

    /// <summary>For an app: the service whose log this shows (each service has its own).</summary>
    [Parameter]
    public string? Service { get; set; }

    private string HeadingId => Service is null ? "log-heading" : "log-heading-" + Service;

    private readonly CancellationTokenSource _stopping = new();
    private readonly Queue<LogLine> _lines = new();
    private readonly List<LogLine> _held = [];
    private readonly Lock _gate = new();
    private readonly List<LogLine> _incoming = [];
    private ElementReference _view;
    private IJSObjectReference? _module;
    private Task _following = Task.CompletedTask;
    private Task _rendering = Task.CompletedTask;
    private CancellationTokenSource? _attempt;
    private LogPhase _phase = LogPhase.Connecting;
    private string? _problem;
    private bool _paused;
    private bool _dropped;
    private bool _showTimes;
    private string? _filter;

    private bool Filtering => !string.IsNullOrEmpty(_filter);

    /// <summary>The lines on screen: all of them, or those whose text contains the search box's (any case).</summary>
    private IEnumerable<LogLine> Shown => Filtering ? _lines.Where(l => l.Text.Contains(_filter!, StringComparison.OrdinalIgnoreCase)) : _lines;

    private enum LogPhase { Connecting, WaitingForStart, Following, Ended, NotFound, NoLog, Removed, Failed }

    private string Status => _phase switch
    {
        LogPhase.Connecting => "Connecting to the log…",
        LogPhase.WaitingForStart => "The job has not started yet; its output appears here as soon as it does.",
        LogPhase.Following => (_paused ? "Paused: new lines are kept and shown when you resume." : "Following: new lines appear as they are written.")
            + (_dropped ? $" Only the last {MaxLines} lines are shown; download the full log for the rest." : ""),
        LogPhase.Ended => (_lines.Count == 0 ? "The job ended without output." : "The job has ended; this is the end of its log.")
            + (_dropped ? $" Only the last {MaxLines} lines are shown; download the full log for the rest." : ""),
        LogPhase.NotFound => "There is no such job that you can see.",
        LogPhase.NoLog => "The job never started, so it has no log.",
        LogPhase.Removed => "The job's container was removed, so its log is no longer kept.",
        _ => $"The log could not be read: {_problem}",
    };

    protected override void OnInitialized()
    {
        // Prerendering renders once and is thrown away: only a live circuit starts a launcher.
        if (RendererInfo.IsInteractive)
        {
            Start();
            _rendering = RenderLoopAsync(_stopping.Token);
        }
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_phase != LogPhase.Following || _paused || _lines.Count == 0)
        {
            return;
        }

        try
        {
            _module ??= await JS.InvokeAsync<IJSObjectReference>("import", "./js/job-log.js");
            await _module.InvokeVoidAsync("scrollToEnd", _view);
        }
        catch (JSDisconnectedException)
        {
            // The browser is gone; DisposeAsync stops the launcher.
        }
    }

    private void Start()
    {
        _attempt?.Dispose();
        _attempt = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        _following = FollowAsync(_attempt.Token);
    }

    private async Task Retry()
    {
        _phase = LogPhase.Connecting;
        await _following;
        lock (_gate)
        {
            _lines.Clear();
            _held.Clear();
            _incoming.Clear();
            _dropped = false;
        }

        Start();
    }

    private void TogglePause()
    {
        _paused = !_paused;
        if (!_paused)
        {
            foreach (var line in _held)
            {
                Append(line);
            }

            _held.Clear();
        }
    }

    private async Task FollowAsync(CancellationToken cancellationToken)
    {
        try
        {
            var user = CurrentUser.From((await Authentication.GetAuthenticationStateAsync()).User);
            // Authorized here again: the circuit is a separate channel from the page request.
            var log = await Output.WaitForLogAsync(user, JobId, () => SetPhaseAsync(LogPhase.WaitingForStart), cancellationToken);
            if (log.State != JobLogState.Available)
            {
                await SetPhaseAsync(log.State switch
                {
                    JobLogState.NoSuchJob => LogPhase.NotFound,
                    JobLogState.Never => LogPhase.NoLog,
                    _ => LogPhase.Removed,
                });
                return;
            }

            await SetPhaseAsync(LogPhase.Following);
            var options = new LogsSpec { Follow = true, Tail = MaxLines, Service = Service };
            // Revoking the user (disabled, reset, demoted) ends the stream at once, before the circuit itself goes.
            using var revocable = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Revocations.TokenFor(user.Id));
            await foreach (var line in Output.ReadAsync(log, options, revocable.Token))
            {
                lock (_gate)
                {
                    _incoming.Add(line);
                }
            }

            await SetPhaseAsync(LogPhase.Ended);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The component is going away (or retrying); the launcher was ended with the stream.
        }
        catch (OperationCanceledException)
        {
            _problem = "your session was ended";
            await SetPhaseAsync(LogPhase.Failed);
        }
        catch (LauncherException e)
        {
            _problem = e.Message;
            await SetPhaseAsync(LogPhase.Failed);
        }
    }

    // Lines arrive as fast as the job prints; the view is redrawn at most every RenderInterval.
    private async Task RenderLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(RenderInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                List<LogLine> batch;
                lock (_gate)
                {
                    if (_incoming.Count == 0)
                    {
                        continue;
                    }

                    batch = [.. _incoming];
                    _incoming.Clear();
                }

                await InvokeAsync(() =>
                {
                    foreach (var line in batch)
                    {
                        if (_paused)
                        {
                            _held.Add(line);
                        }
                        else
                        {
                            Append(line);
                        }
                    }

                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void Append(LogLine line)
    {
        _lines.Enqueue(line);
        if (_lines.Count > MaxLines)
        {
            _lines.Dequeue();
            _dropped = true;
        }
    }

    private Task SetPhaseAsync(LogPhase phase) => InvokeAsync(() =>
    {
        // Lines read before the stream ended are shown before the status says so.
        lock (_gate)
        {
            foreach (var line in _incoming)
            {
                Append(line);
            }

            _incoming.Clear();
        }

        if (phase != LogPhase.Following && _paused)
        {
            // Nothing more will come: show what was held back.
            TogglePause();
        }

        _phase = phase;
        StateHasChanged();
    });

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _following;
        await _rendering;
        _attempt?.Dispose();
        _stopping.Dispose();
        if (_module is not null)
        {
            try
            {
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
            }
        }
    }
}
