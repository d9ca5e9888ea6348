using Portal.Core.Jobs;

namespace Portal.Core.Scheduling;

/// <summary>Start this queued job on exactly these GPUs.</summary>
public sealed record JobStart(long JobId, IReadOnlyList<string> GpuUuids);

/// <summary>What one scheduling pass decided.</summary>
/// <param name="Starts">Jobs to start now, in the order they were chosen.</param>
/// <param name="PendingReasons">Why each job that stays queued waits; every queued job not in <paramref name="Starts"/> is here.</param>
/// <param name="WalltimeExceeded">Running jobs past their walltime: stop them and mark them <see cref="JobState.TimedOut"/>.</param>
/// <param name="Reservation">What is held back for the first job that does not fit, if any.</param>
public sealed record SchedulingPlan(
    IReadOnlyList<JobStart> Starts,
    IReadOnlyDictionary<long, PendingReason> PendingReasons,
    IReadOnlyList<long> WalltimeExceeded,
    Reservation? Reservation);

/// <summary>
/// Resources promised to the highest-ranked job that cannot start yet, from <see cref="StartsBy"/> (the latest time
/// enough of them free up, by the running jobs' walltimes). A job whose walltime ends by then may use anything free
/// now; a longer one only GPUs outside <see cref="GpuUuids"/> and, when the host's CPUs and memory are modelled, no
/// more than the CPUs and memory that will be spare at <see cref="StartsBy"/>. So backfill never delays that job.
/// </summary>
public sealed record Reservation(long JobId, DateTimeOffset StartsBy, IReadOnlyList<string> GpuUuids);
