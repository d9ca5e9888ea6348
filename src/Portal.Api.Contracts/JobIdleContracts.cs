namespace Portal.Api.Contracts;

/// <summary>
/// A quota group's idle reclaim of batch jobs. Every field null turns it off; when on, every field is needed.
/// <c>action</c> is <c>WarnOnly</c>, <c>Stop</c> or <c>StopAndRequeue</c> (restartable jobs are queued again in their place; others stopped). The window is whole rollup periods (minutes on a real box), at least five.
/// </summary>
public sealed record JobIdlePolicyBody(
    double? ThresholdPercent, int? WindowSeconds, int? GraceSeconds, string? Action, int? KeepSeconds);

/// <summary>The owner's reason to keep a batch job's GPUs from idle reclaim (once per job).</summary>
public sealed record KeepJobRequest
{
    /// <summary>Why it should keep them, at most 200 characters; written to the audit log.</summary>
    public string? Reason { get; init; }
}

/// <summary>
/// A running batch job against its owner's idle policy: null <c>phase</c> when none applies, else <c>watching</c>,
/// <c>warned</c> (the action is due at <c>actionDueAt</c> unless a GPU gets busy) or <c>reclaimed</c>. <c>verdict</c>
/// is <c>busy</c>, <c>idle</c>, <c>tooearly</c>, <c>notenoughdata</c> (a gap: never idle) or <c>unmeasurable</c> (MIG).
/// </summary>
public sealed record JobIdleResponse(
    long JobId,
    string? Phase,
    string? Verdict,
    string? Detail,
    DateTimeOffset? WarnedAt,
    DateTimeOffset? ActionDueAt,
    DateTimeOffset? KeepUntil,
    string? KeepReason,
    JobIdlePolicyBody? Policy);
