using System.Threading.Channels;

namespace Portal.Web.Services;

/// <summary>
/// A hosted loop that runs one pass every <see cref="Interval"/>, or at once when <see cref="Wake"/> is called (a keep
/// recorded, a test that will not wait), and says when its last pass ended. One failed pass (database restarting,
/// launcher busy) is logged and the next one tries again: a reclaimer must not stop for good over a hiccup.
/// </summary>
public abstract partial class PeriodicPassService(TimeProvider clock, ILogger logger) : BackgroundService
{
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private long _lastPassTicks;

    /// <summary>The clock the passes and the interval run on (a manual one in tests).</summary>
    protected TimeProvider Clock { get; } = clock;

    /// <summary>When the last pass ended; null before the first.</summary>
    public DateTimeOffset? LastPassAt
    {
        get
        {
            long ticks = Volatile.Read(ref _lastPassTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    /// <summary>How long to wait between passes.</summary>
    protected abstract TimeSpan Interval { get; }

    /// <summary>What a pass does, in the log's words ("job idle reclaim").</summary>
    protected abstract string PassName { get; }

    /// <summary>Runs the next pass now rather than at the end of the interval.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>One pass.</summary>
    protected abstract Task PassAsync(CancellationToken cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await PassAsync(stoppingToken);
                Volatile.Write(ref _lastPassTicks, Clock.GetUtcNow().UtcTicks);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // One failed pass must not end the loop for good.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogPassFailed(PassName, e);
            }

            try
            {
                using var timer = new CancellationTokenSource(Interval, Clock);
                using var either = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, stoppingToken);
                await _wake.Reader.WaitToReadAsync(either.Token);
                _wake.Reader.TryRead(out _);
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The interval passed.
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {Pass} pass failed; the next one tries again")]
    private partial void LogPassFailed(string pass, Exception exception);
}
