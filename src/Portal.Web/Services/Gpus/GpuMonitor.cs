using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Portal.Core.Gpus;
using Portal.Jobs;

namespace Portal.Web.Services.Gpus;

/// <summary>
/// The server-wide owner of GPU data: ONE <see cref="NvidiaSmiSampler"/> for the whole portal (not one per browser),
/// a bounded history per GPU, and the holders/processes from <see cref="IGpuHolderSource"/>. Components read
/// <see cref="Current"/> and subscribe with <see cref="WatchAsync"/>.
/// </summary>
public sealed partial class GpuMonitor : BackgroundService, IGpuInventorySource
{
    // Each subscriber gets a one-slot channel that drops the older frame: the sampler never waits for a circuit,
    // and a slow circuit skips to the newest frame instead of buffering a backlog.
    private static readonly BoundedChannelOptions SubscriberChannel =
        new(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true, SingleWriter = false };

    private readonly GpuMonitorOptions _options;
    private readonly IGpuHolderSource _holders;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<GpuMonitor> _logger;
    private readonly NvidiaSmiSampler _sampler;
    private readonly GpuMinuteRollup _rollup;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, GpuHistoryBuffer> _history = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gpusAppeared = new(0, 1);
    private ImmutableArray<Channel<GpuDashboardFrame>> _subscribers = [];
    private GpuDashboardFrame _current;

    public GpuMonitor(
        IOptions<GpuMonitorOptions> options, IGpuHolderSource holders, TimeProvider timeProvider, ILogger<GpuMonitor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _holders = holders;
        _timeProvider = timeProvider;
        _logger = logger;
        _sampler = new NvidiaSmiSampler(ToSamplerOptions(_options), timeProvider);
        _rollup = new GpuMinuteRollup(_options.Interval, _options.RollupPeriod);
        Minutes = new GpuMinuteHistory(_options);
        _current = new GpuDashboardFrame(_sampler.Current, GpuOccupancy.None, ImmutableDictionary<string, IReadOnlyList<GpuHistoryPoint>>.Empty);
    }

    /// <summary>Every GPU's utilisation per <see cref="GpuMonitorOptions.RollupPeriod"/>, from the same readings:
    /// what idle reclaim judges and the job page shows.</summary>
    public GpuMinuteHistory Minutes { get; }

    /// <summary>The latest frame; never null.</summary>
    public GpuDashboardFrame Current => Volatile.Read(ref _current);

    /// <summary>The job host copies the inventory of this reading into the database.</summary>
    GpuSnapshot IGpuInventorySource.CurrentSnapshot => Current.Snapshot;

    /// <summary>How many subscribers are attached now (the benchmark and tests read it).</summary>
    public int SubscriberCount => _subscribers.Length;

    /// <summary>The sampler's settings for the same nvidia-smi, for one-shot queries such as the processes.</summary>
    public static NvidiaSmiSamplerOptions ToSamplerOptions(GpuMonitorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new NvidiaSmiSamplerOptions
        {
            Interval = options.Interval,
            SearchPath = string.IsNullOrEmpty(options.SearchPath) ? null : options.SearchPath,
        };
    }

    /// <summary>The current frame, then every newer one until <paramref name="cancellationToken"/> fires. A reader
    /// that falls behind gets the newest frame, never a queue of old ones.</summary>
    public async IAsyncEnumerable<GpuDashboardFrame> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateBounded<GpuDashboardFrame>(SubscriberChannel);
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

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Kills nvidia-smi; the sampler's loop ends before the host does.
        await _sampler.DisposeAsync();
    }

    public override void Dispose()
    {
        _gpusAppeared.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _sampler.SnapshotPublished += OnSnapshot;
        _sampler.Start();
        while (!stoppingToken.IsCancellationRequested)
        {
            if (Current.Snapshot is { Status: GpuDiscoveryStatus.Available, Devices.Count: > 0 })
            {
                await RefreshOccupancyAsync(stoppingToken);
            }

            try
            {
                // Wake early when GPUs first appear, so processes show without waiting a whole refresh period.
                await _gpusAppeared.WaitAsync(_options.ProcessRefresh, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RefreshOccupancyAsync(CancellationToken cancellationToken)
    {
        GpuOccupancy occupancy;
        try
        {
            occupancy = await _holders.ReadAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
        {
            LogOccupancyFailed(e.Message);
            occupancy = GpuOccupancy.None with { Problem = $"Could not list the processes on the GPUs: {e.Message}" };
        }

        Publish(f => f with { Occupancy = occupancy });
    }

    // Raised on the sampler's task: it must return quickly and never throw, so it only updates memory and
    // hands the frame to the subscribers' channels.
    private void OnSnapshot(object? sender, GpuSnapshot snapshot)
    {
        var wasAvailable = Current.Snapshot.Status == GpuDiscoveryStatus.Available;
        // The sampler raises this from its one task, so the rollup (not thread-safe) has a single writer.
        Minutes.Add(_rollup.Add(snapshot));
        Publish(frame =>
        {
            var history = frame.History;
            foreach (var sample in snapshot.Samples)
            {
                if (!_history.TryGetValue(sample.Uuid, out var buffer))
                {
                    buffer = new GpuHistoryBuffer(_options.HistoryCapacity, _options.HistoryResolution);
                    _history[sample.Uuid] = buffer;
                }

                if (buffer.Add(sample))
                {
                    history = history.ToImmutableDictionary(StringComparer.Ordinal).SetItem(sample.Uuid, buffer.Points);
                }
            }

            var occupancy = snapshot.Status == GpuDiscoveryStatus.Available ? frame.Occupancy : GpuOccupancy.None;
            return frame with { Snapshot = snapshot, Occupancy = occupancy, History = history };
        });

        if (!wasAvailable && snapshot is { Status: GpuDiscoveryStatus.Available, Devices.Count: > 0 } && _gpusAppeared.CurrentCount == 0)
        {
            _gpusAppeared.Release();
        }
    }

    private void Publish(Func<GpuDashboardFrame, GpuDashboardFrame> change)
    {
        GpuDashboardFrame next;
        lock (_gate)
        {
            next = change(_current);
            Volatile.Write(ref _current, next);
        }

        foreach (var subscriber in _subscribers)
        {
            // Never blocks: a full one-slot channel drops its older frame.
            subscriber.Writer.TryWrite(next);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not list the processes on the GPUs: {Problem}")]
    private partial void LogOccupancyFailed(string problem);
}
