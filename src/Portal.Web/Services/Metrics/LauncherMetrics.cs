using System.Diagnostics.Metrics;
using Portal.Launcher.Client;

namespace Portal.Web.Services.Metrics;

/// <summary>Launcher calls: how long each verb takes (sudo, the launcher and podman together) and which fail how.</summary>
public sealed class LauncherMetrics
{
    public const string MeterName = "Portal.Launcher";

    private readonly Histogram<double> _duration;
    private readonly Counter<long> _failures;

    public LauncherMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter meter = meterFactory.Create(MeterName);
        _duration = meter.CreateHistogram<double>("portal.launcher.call.duration", "s",
            "Time of one launcher call through sudo, by verb and outcome (ok or failed).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        _failures = meter.CreateCounter<long>("portal.launcher.call.failures", "{call}",
            "Failed launcher calls, by verb and failure (Refused, OperationFailed, PolicyError, PrivilegeError, NotStarted, TimedOut, Internal).");
    }

    public void RecordSuccess(string verb, TimeSpan duration) =>
        _duration.Record(duration.TotalSeconds, new("verb", verb), new("outcome", "ok"));

    public void RecordFailure(string verb, TimeSpan duration, LauncherFailure failure)
    {
        _duration.Record(duration.TotalSeconds, new("verb", verb), new("outcome", "failed"));
        _failures.Add(1, new KeyValuePair<string, object?>("verb", verb), new KeyValuePair<string, object?>("failure", failure.ToString()));
    }
}
