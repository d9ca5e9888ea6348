namespace Portal.Api.Contracts;

/// <summary>Every limit that applies to a user after resolving default, groups and override.</summary>
public sealed record EffectiveQuotaResponse(
    int MaxConcurrentGpus,
    int MaxConcurrentJobs,
    int MaxQueuedJobs,
    double GpuHoursPerWindow,
    double WindowHours,
    double MaxWalltimeHours,
    double MaxCpusPerJob,
    long MaxMemoryMiBPerJob)
{
    /// <summary>The most disk your own images may take, in GiB; null: no limit.</summary>
    public double? MaxImageGiB { get; init; }
}

/// <summary>Your limits next to your use of each now.</summary>
public sealed record QuotaUsageResponse(
    EffectiveQuotaResponse Limits,
    int RunningGpus,
    int RunningJobs,
    int QueuedJobs,
    double GpuHoursInWindow,
    double GpuHoursLeft,
    bool GpuHoursExhausted);

/// <summary>One quota layer: a null field inherits from the layer below.</summary>
public sealed record QuotaPolicyRequest
{
    public int? MaxConcurrentGpus { get; init; }

    public int? MaxConcurrentJobs { get; init; }

    public int? MaxQueuedJobs { get; init; }

    public double? GpuHoursPerWindow { get; init; }

    public double? WindowHours { get; init; }

    public double? MaxWalltimeHours { get; init; }

    public double? MaxCpusPerJob { get; init; }

    public long? MaxMemoryMiBPerJob { get; init; }

    /// <summary>The most disk a user's own images may take, in GiB; null in the default: no limit.</summary>
    public double? MaxImageGiB { get; init; }
}

/// <summary>A quota group and its members.</summary>
public sealed record QuotaGroupResponse(int Id, string Name, QuotaPolicyRequest Policy, IReadOnlyList<Guid> MemberIds);

/// <summary>The default policy and the groups.</summary>
public sealed record QuotaOverviewResponse(QuotaPolicyRequest Default, IReadOnlyList<QuotaGroupResponse> Groups);

/// <summary>One user's override (null: none) and the limits that result.</summary>
public sealed record UserQuotaResponse(Guid UserId, QuotaPolicyRequest? Override, EffectiveQuotaResponse Effective);

/// <summary>A portal account as the admin API lists it.</summary>
public sealed record UserResponse(
    Guid Id,
    string UserName,
    string? LinuxUser,
    long? LinuxUid,
    bool IsAdmin,
    bool IsDisabled,
    DateTimeOffset CreatedAt);
