namespace Portal.Api.Contracts;

/// <summary>The owner's reason to keep a session from idle reclaim.</summary>
public sealed record KeepSessionRequest
{
    /// <summary>Why it should stay, at most 200 characters; written to the audit log.</summary>
    public string? Reason { get; init; }
}

/// <summary>
/// A running session against its idle policy. <c>phase</c> is null when no policy applies (the owner's quota groups do
/// not reclaim idle sessions), else <c>active</c>, <c>kept</c>, <c>warned</c> (it stops at <c>stopAt</c> unless used) or
/// <c>due</c> (stopping now).
/// </summary>
public sealed record SessionIdleResponse(
    long JobId,
    string? Phase,
    DateTimeOffset? LastActiveAt,
    DateTimeOffset? WarnAt,
    DateTimeOffset? StopAt,
    DateTimeOffset? KeepUntil,
    string? KeepReason,
    SessionIdlePolicyResponse? Policy);

/// <summary>The idle policy that applies to a session.</summary>
public sealed record SessionIdlePolicyResponse(int WindowSeconds, int GraceSeconds, double GpuThresholdPercent, int KeepLimitSeconds);
