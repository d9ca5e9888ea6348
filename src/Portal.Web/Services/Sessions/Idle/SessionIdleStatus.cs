using Portal.Core.Sessions;

namespace Portal.Web.Services.Sessions.Idle;

/// <summary>A running session's standing against its owner's idle policy, as of the reclaimer's last pass.</summary>
/// <param name="JobId">The session's job.</param>
/// <param name="Policy">The policy that applies (its owner's quota groups).</param>
/// <param name="State">Active, kept, warned or due, with when it warns and stops.</param>
/// <param name="EvaluatedAt">When the reclaimer looked.</param>
/// <param name="KeepReason">The owner's reason to keep it, while a keep is recorded.</param>
/// <param name="KeepUntil">Until when the keep exempts it.</param>
public sealed record SessionIdleStatus(
    long JobId, SessionIdlePolicy Policy, SessionIdleState State, DateTimeOffset EvaluatedAt, string? KeepReason, DateTimeOffset? KeepUntil);

/// <summary>What the idle reclaimer last decided, for the session page and the API.</summary>
public interface ISessionIdleSource
{
    /// <summary>The session's standing, or null when no idle policy applies to it (or it is not a running session).</summary>
    SessionIdleStatus? Status(long jobId);

    /// <summary>When the last pass over every running session ended; null before the first.</summary>
    DateTimeOffset? LastPassAt { get; }

    /// <summary>Asks for a pass now (after a keep, so the page shows it at once).</summary>
    void Wake();
}
