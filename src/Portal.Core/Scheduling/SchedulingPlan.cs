using Portal.Core.Jobs;

namespace Portal.Core.Scheduling;

/// <summary>Start this queued job on exactly these GPUs.</summary>
public sealed record JobStart(long JobId, IReadOnlyList<string> GpuUuids);

/// <summary>What one scheduling pass decided.</summary>
/// <param name="Starts">Jobs to start now, in the order they were chosen.</param>
/// <param name="PendingReasons">Why each job that stays queued waits; every queued job not in <paramref name="Starts"/> is here.</param>
/// <param name="WalltimeExceeded">Running jobs past their walltime: stop them and mark them <see cref="JobState.TimedOut"/>.</param>
/// <param name="Reservation">The GPUs held back for the first job that does not fit, if any.</param>
public sealed record SchedulingPlan(
    IReadOnlyList<JobStart> Starts,
    IReadOnlyDictionary<long, PendingReason> PendingReasons,
    IReadOnlyList<long> WalltimeExceeded,
    GpuReservation? Reservation);

/// <summary>GPUs promised to the highest-ranked job that cannot start yet. Other jobs may use them now only if their
/// walltime ends by <see cref="StartsBy"/>, so backfill never delays that job.</summary>
public sealed record GpuReservation(long JobId, DateTimeOffset StartsBy, IReadOnlyList<string> GpuUuids);
