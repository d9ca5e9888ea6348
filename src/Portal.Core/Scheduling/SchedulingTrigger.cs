using System.Threading.Channels;

namespace Portal.Core.Scheduling;

/// <summary>Why a scheduling pass runs.</summary>
public enum SchedulingCause
{
    /// <summary>The periodic tick: walltimes, aging and window usage change with time alone.</summary>
    Tick,

    /// <summary>A job was submitted.</summary>
    JobSubmitted,

    /// <summary>A job ended and released its GPUs.</summary>
    JobFinished,

    /// <summary>An administrator changed a quota.</summary>
    QuotaChanged,

    /// <summary>An administrator drained or undrained a GPU.</summary>
    GpuDrainChanged,
}

/// <summary>
/// Wakes the scheduling loop on events and on a periodic tick. Requests coalesce: a burst of submissions while a
/// pass runs leads to one more pass, not one per submission, because each pass looks at the whole queue anyway.
/// </summary>
public sealed class SchedulingTrigger(TimeProvider timeProvider)
{
    private readonly Channel<SchedulingCause> _requests = Channel.CreateBounded<SchedulingCause>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });

    /// <summary>Asks for a pass soon. Never blocks.</summary>
    public void Request(SchedulingCause cause) => _requests.Writer.TryWrite(cause);

    /// <summary>Waits for the next request, or until <paramref name="tick"/> passes without one.</summary>
    /// <returns>The first cause requested since the last wait, or <see cref="SchedulingCause.Tick"/>.</returns>
    public async Task<SchedulingCause> WaitAsync(TimeSpan tick, CancellationToken cancellationToken)
    {
        if (_requests.Reader.TryRead(out var pending))
        {
            return pending;
        }

        using var tickSource = new CancellationTokenSource(tick, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, tickSource.Token);
        try
        {
            return await _requests.Reader.ReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return SchedulingCause.Tick;
        }
    }
}
