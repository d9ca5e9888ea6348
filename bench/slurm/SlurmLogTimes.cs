using System.Globalization;
using System.Text.RegularExpressions;

namespace Portal.Bench.Slurm;

/// <summary>
/// Splits each timed start at the two points slurmctld logs with millisecond times: when it accepted the job
/// (<c>_slurm_rpc_submit_batch_job</c>) and when it gave the job its node (<c>sched: Allocate</c>, or the backfill
/// scheduler's <c>Started</c>). The first part is what the caller (the portal, or sbatch by hand) costs; the second is
/// Slurm's own scheduling wait, which for a batch job follows its <c>batch_sched_delay</c> (3 s by default) and is
/// the same for both arms; the third is the node starting the job, also the same for both.
/// </summary>
internal static partial class SlurmLogTimes
{
    public static void Print(string slurmctldLog, IReadOnlyList<Sample> api, IReadOnlyList<Sample> hand)
    {
        var submitted = new List<(DateTime At, long JobId)>();
        var allocated = new Dictionary<long, DateTime>();
        foreach (string line in File.ReadLines(slurmctldLog))
        {
            if (Submit().Match(line) is { Success: true } s)
            {
                submitted.Add((Time(s.Groups[1].Value), long.Parse(s.Groups[2].Value, CultureInfo.InvariantCulture)));
            }
            else if (Allocate().Match(line) is { Success: true } a)
            {
                allocated.TryAdd(long.Parse(a.Groups[2].Value, CultureInfo.InvariantCulture), Time(a.Groups[1].Value));
            }
        }

        Console.WriteLine("where the time goes, from slurmctld's log (medians):");
        var split = new Dictionary<string, List<(double ToSlurm, double Waited, double NodeStart)>>();
        foreach ((string arm, IReadOnlyList<Sample> samples) in new[] { ("API   ", api), ("sbatch", hand) })
        {
            var parts = samples.Select(sample => Split(sample, submitted, allocated)).OfType<(double, double, double)>().ToList();
            if (parts.Count == 0)
            {
                Console.WriteLine($"  {arm}: no job found in the log");
                return;
            }

            split[arm] = parts;
            Console.WriteLine($"  {arm}: call to Slurm having the job {Stats.Median(parts.Select(p => p.Item1)):F1} ms, " +
                $"Slurm's scheduling wait {Stats.Median(parts.Select(p => p.Item2)):F1} ms, node start to the stamp {Stats.Median(parts.Select(p => p.Item3)):F1} ms ({parts.Count} of {samples.Count} found)");
        }

        // The scheduling wait is where in slurmctld's tick the job arrived: the same distribution for both arms (the
        // harness's random pauses), but over a few dozen starts its spread outweighs what the submitting path costs.
        // Taking each start's own wait out and both arms' mean wait back in compares the paths at the same wait.
        double apiOwn = Stats.Median(split["API   "].Select(p => p.ToSlurm + p.NodeStart));
        double handOwn = Stats.Median(split["sbatch"].Select(p => p.ToSlurm + p.NodeStart));
        double meanWait = split.Values.SelectMany(parts => parts).Average(p => p.Waited);
        Console.WriteLine($"  without Slurm's scheduling wait: API {apiOwn:F1} ms, sbatch {handOwn:F1} ms (medians), ratio {apiOwn / handOwn:F3}");
        Console.WriteLine($"  at both arms' mean scheduling wait ({meanWait:F1} ms): API {apiOwn + meanWait:F1} ms, sbatch {handOwn + meanWait:F1} ms, ratio {(apiOwn + meanWait) / (handOwn + meanWait):F3} (target <= 1.15)");
    }

    /// <summary>The sample's job is the first one slurmctld accepted after the call (the arms never overlap).</summary>
    private static (double, double, double)? Split(Sample sample, List<(DateTime At, long JobId)> submitted, Dictionary<long, DateTime> allocated)
    {
        (DateTime at, long jobId) = submitted.FirstOrDefault(s => s.At >= sample.CalledAt.AddMilliseconds(-1));
        if (jobId == 0 || !allocated.TryGetValue(jobId, out DateTime allocatedAt))
        {
            return null;
        }

        double toSlurm = (at - sample.CalledAt).TotalMilliseconds;
        double waited = (allocatedAt - at).TotalMilliseconds;
        return (toSlurm, waited, sample.ToStart - toSlurm - waited);
    }

    // slurmctld writes its local time with milliseconds and no zone, as DateTime.Now reads it.
    private static DateTime Time(string text) => DateTime.ParseExact(text, "yyyy-MM-dd'T'HH:mm:ss.fff", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\[(\S+)\] _slurm_rpc_submit_batch_job: JobId=(\d+) ")]
    private static partial Regex Submit();

    [GeneratedRegex(@"^\[(\S+)\] (?:sched: Allocate JobId=|sched/backfill: _start_job: Started JobId=)(\d+) ")]
    private static partial Regex Allocate();
}
