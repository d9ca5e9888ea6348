using System.Diagnostics.Metrics;
using Portal.Data.Entities.Jobs;

namespace Portal.Jobs;

/// <summary>
/// Jobs and the queue: how many jobs are in each state, how long the queue is and how long its oldest job has
/// waited (read from the database by the web host's <c>JobStatsRefresher</c>), how long started jobs waited, and how long
/// scheduling passes take (recorded by the job runner as they happen).
/// </summary>
public sealed class JobMetrics
{
    public const string MeterName = "Portal.Jobs";

    private readonly Histogram<double> _queueWait;
    private readonly Histogram<double> _passDuration;
    private JobStats _stats = JobStats.Empty;

    public JobMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("portal.jobs", ObserveStates, "{job}", "Jobs by state (every job the database holds).");
        meter.CreateObservableGauge("portal.queue.length", () => Stats.Queued, "{job}", "Jobs waiting in the queue.");
        meter.CreateObservableGauge("portal.queue.oldest_wait", () => Stats.OldestQueuedWait.TotalSeconds, "s",
            "How long the oldest queued job has waited so far.");
        _queueWait = meter.CreateHistogram<double>("portal.queue.wait", "s",
            "Time from submission to the start of a job, recorded when its start commits.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600] });
        _passDuration = meter.CreateHistogram<double>("portal.scheduler.pass.duration", "s",
            "Time one scheduling pass takes: read the snapshot, plan, record pending reasons, stop overdue jobs, start jobs.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    }

    /// <summary>The latest numbers read from the database.</summary>
    public JobStats Stats => Volatile.Read(ref _stats);

    public void Update(JobStats stats) => Volatile.Write(ref _stats, stats);

    public void RecordQueueWait(TimeSpan wait) => _queueWait.Record(Math.Max(0, wait.TotalSeconds));

    public void RecordPass(TimeSpan duration) => _passDuration.Record(duration.TotalSeconds);

    private IEnumerable<Measurement<long>> ObserveStates()
    {
        JobStats stats = Stats;
        // Every state, zeros included, so a dashboard's series never vanish when a state empties.
        foreach (JobStateColumn state in Enum.GetValues<JobStateColumn>())
        {
            yield return new Measurement<long>(stats.ByState.GetValueOrDefault(state), new KeyValuePair<string, object?>("state", state.ToString()));
        }
    }
}

/// <summary>What the database says about jobs at one moment.</summary>
/// <param name="ByState">Job count per state.</param>
/// <param name="Queued">Queued jobs.</param>
/// <param name="OldestQueuedWait">Age of the oldest queued job (zero with an empty queue).</param>
/// <param name="GpuHolders">Owner (Linux account) of the job holding each GPU, by GPU UUID, from the ledger.</param>
public sealed record JobStats(
    IReadOnlyDictionary<JobStateColumn, long> ByState,
    long Queued,
    TimeSpan OldestQueuedWait,
    IReadOnlyDictionary<string, string> GpuHolders)
{
    public static JobStats Empty { get; } = new(
        new Dictionary<JobStateColumn, long>(), 0, TimeSpan.Zero, new Dictionary<string, string>(StringComparer.Ordinal));
}
