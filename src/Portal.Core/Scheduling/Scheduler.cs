namespace Portal.Core.Scheduling;

/// <summary>
/// Decides which queued jobs start now and on which GPUs, and why the others wait. Pure and deterministic: the same
/// snapshot at the same instant gives the same plan; the caller applies it (and the database's one-job-per-GPU
/// constraint has the last word if two passes ever race).
/// </summary>
/// <remarks>
/// Order: jobs that waited past <see cref="SchedulerOptions.StarvationAge"/> first (oldest first); then fair share
/// (owner's GPU-hours in their window, in steps), then priority plus aging, then submission time, then id.
/// Jobs are walked in that order; the first GPU job that does not fit gets a reservation (EASY backfill) and later
/// jobs may start only where they cannot delay it. See docs/scheduling.md.
/// </remarks>
public sealed class Scheduler(TimeProvider timeProvider, SchedulerOptions? options = null)
{
    private readonly SchedulerOptions _options = options ?? new SchedulerOptions();

    /// <summary>One scheduling pass over <paramref name="snapshot"/> at the current time.</summary>
    public SchedulingPlan Plan(SchedulingSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var now = timeProvider.GetUtcNow();
        var pass = new SchedulingPass(snapshot, now);
        foreach (var job in Rank(snapshot, now))
        {
            pass.Consider(job);
        }

        return pass.ToPlan();
    }

    private QueuedJob[] Rank(SchedulingSnapshot snapshot, DateTimeOffset now)
    {
        var queued = snapshot.Queued;
        var keys = new RankKey[queued.Count];
        var stepSeconds = _options.FairShareStepGpuHours * 3600;
        var agingStepTicks = Math.Max(1, _options.AgingStep.Ticks);
        for (var i = 0; i < keys.Length; i++)
        {
            var job = queued[i];
            var waited = now - job.SubmittedAt;
            var used = snapshot.GpuSecondsInWindowByOwner.GetValueOrDefault(job.Owner);
            var aging = (int)Math.Min(_options.MaxAgingBoost, Math.Max(0, waited.Ticks / agingStepTicks));
            keys[i] = new RankKey(
                Starved: waited >= _options.StarvationAge,
                FairShareStep: stepSeconds > 0 ? (long)(used / stepSeconds) : 0,
                EffectivePriority: (long)job.Priority + aging,
                SubmittedTicks: job.SubmittedAt.UtcTicks,
                JobId: job.JobId,
                Position: i);
        }

        Array.Sort(keys);
        var ordered = new QueuedJob[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            ordered[i] = queued[keys[i].Position];
        }

        return ordered;
    }

    private readonly record struct RankKey(
        bool Starved, long FairShareStep, long EffectivePriority, long SubmittedTicks, long JobId, int Position)
        : IComparable<RankKey>
    {
        public int CompareTo(RankKey other)
        {
            if (Starved != other.Starved)
            {
                return Starved ? -1 : 1;
            }

            if (!Starved)
            {
                var byShare = FairShareStep.CompareTo(other.FairShareStep);
                if (byShare != 0)
                {
                    return byShare;
                }

                var byPriority = other.EffectivePriority.CompareTo(EffectivePriority);
                if (byPriority != 0)
                {
                    return byPriority;
                }
            }

            var byAge = SubmittedTicks.CompareTo(other.SubmittedTicks);
            return byAge != 0 ? byAge : JobId.CompareTo(other.JobId);
        }
    }
}
