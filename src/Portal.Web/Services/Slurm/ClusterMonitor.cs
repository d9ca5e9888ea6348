using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Portal.Jobs.Slurm;

namespace Portal.Web.Services.Slurm;

/// <summary>
/// The server-wide owner of the cluster's node list (the dashboard's view of a Slurm cluster): ONE sinfo every
/// <see cref="SlurmOptions.NodeRefresh"/> for the whole portal, however many browsers watch (the squeue man page's
/// warning against polling loops applies to sinfo too). Components read <see cref="Current"/> and subscribe with
/// <see cref="WatchAsync"/>, as the GPU dashboard does with its monitor.
/// </summary>
public sealed partial class ClusterMonitor(
    SlurmCommands slurm, IOptions<SlurmOptions> options, TimeProvider timeProvider, ILogger<ClusterMonitor> logger) : BackgroundService
{
    private static readonly BoundedChannelOptions SubscriberChannel =
        new(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = true };

    private ImmutableArray<Channel<ClusterFrame>> _subscribers = [];
    private ClusterFrame _current = ClusterFrame.Starting;

    /// <summary>The latest frame; never null.</summary>
    public ClusterFrame Current => Volatile.Read(ref _current);

    /// <summary>The current frame, then every newer one until <paramref name="cancellationToken"/> fires.</summary>
    public async IAsyncEnumerable<ClusterFrame> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<ClusterFrame>(SubscriberChannel);
        ImmutableInterlocked.Update(ref _subscribers, static (list, c) => list.Add(c), channel);
        try
        {
            yield return Current;
            while (await channel.Reader.WaitToReadAsync(cancellationToken))
            {
                while (channel.Reader.TryRead(out var frame))
                {
                    yield return frame;
                }
            }
        }
        finally
        {
            ImmutableInterlocked.Update(ref _subscribers, static (list, c) => list.Remove(c), channel);
        }
    }

    /// <summary>Reads the nodes now (the job host's submit check and the tests use it) and publishes them.</summary>
    public async Task<ClusterFrame> RefreshAsync(CancellationToken cancellationToken)
    {
        ClusterFrame next;
        try
        {
            var nodes = await slurm.NodesAsync(cancellationToken);
            next = new ClusterFrame(nodes, timeProvider.GetUtcNow(), null);
        }
        catch (Exception e) when (e is SlurmCommandException or FormatException)
        {
            LogReadFailed(e.Message);
            next = Current with { Problem = e.Message };
        }

        Volatile.Write(ref _current, next);
        foreach (var subscriber in _subscribers)
        {
            subscriber.Writer.TryWrite(next);
        }

        return next;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.NodeRefresh, timeProvider);
        do
        {
            try
            {
                await RefreshAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not list the Slurm nodes: {Problem}")]
    private partial void LogReadFailed(string problem);
}
