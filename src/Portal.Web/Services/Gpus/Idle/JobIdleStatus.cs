using Portal.Core.Reclaim;

namespace Portal.Web.Services.Gpus.Idle;

/// <summary>A running batch job's standing against its owner's idle policy, as of the reclaimer's last pass.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Policy">The policy that applies (its owner's quota groups).</param>
/// <param name="Verdict">What the rollup rows of its GPUs say.</param>
/// <param name="Watch">Watching, warned (with when the action is due) or reclaimed; the keep.</param>
/// <param name="EvaluatedAt">When the reclaimer looked.</param>
public sealed record JobIdleStatus(long JobId, IdlePolicy Policy, IdleVerdict Verdict, IdleWatch Watch, DateTimeOffset EvaluatedAt);

/// <summary>What job idle reclaim last decided, for the job page and the API.</summary>
public interface IJobIdleSource
{
    /// <summary>The job's standing, or null when no idle policy applies to it (or it is not a running GPU job).</summary>
    JobIdleStatus? Status(long jobId);

    /// <summary>When the last pass over every running job ended; null before the first.</summary>
    DateTimeOffset? LastPassAt { get; }

    /// <summary>Asks for a pass now (after a keep, so the page shows it at once).</summary>
    void Wake();
}
