namespace Portal.Data.Entities.Quotas;

/// <summary>A named quota group: its policy overrides the default for its members, field by field.</summary>
public sealed class QuotaGroupRecord : IQuotaPolicyColumns
{
    public int Id { get; set; }

    public required string Name { get; set; }

    public int? MaxConcurrentGpus { get; set; }

    public int? MaxConcurrentJobs { get; set; }

    public int? MaxQueuedJobs { get; set; }

    public double? GpuHoursPerWindow { get; set; }

    public TimeSpan? Window { get; set; }

    public TimeSpan? MaxWalltime { get; set; }

    public double? MaxCpusPerJob { get; set; }

    public long? MaxMemoryMiBPerJob { get; set; }

    public double? MaxImageGiB { get; set; }

    /// <summary>Idle sessions of members are reclaimed after this long (null: this group does not reclaim).</summary>
    public TimeSpan? IdleWindow { get; set; }

    /// <summary>How long an idle session's owner is warned before it stops (null: the built-in default).</summary>
    public TimeSpan? IdleGrace { get; set; }

    /// <summary>GPU utilisation (percent) at or above which a session's GPU counts as used (null: the built-in default).</summary>
    public double? IdleGpuThresholdPercent { get; set; }

    /// <summary>The longest an owner's "keep" exempts a session (null: the built-in default).</summary>
    public TimeSpan? IdleKeepLimit { get; set; }

    /// <summary>Batch jobs of members whose every GPU stays under <see cref="JobIdleThresholdPercent"/> this long are
    /// warned (null: this group does not reclaim idle jobs; the other job-idle columns are then null too).</summary>
    public TimeSpan? JobIdleWindow { get; set; }

    /// <summary>GPU utilisation (percent) every reading must stay under for a job to count as idle.</summary>
    public double? JobIdleThresholdPercent { get; set; }

    /// <summary>How long after the warning the action waits.</summary>
    public TimeSpan? JobIdleGrace { get; set; }

    /// <summary>What happens after the grace period (<see cref="Portal.Core.Reclaim.ReclaimAction"/>'s name).</summary>
    public string? JobIdleAction { get; set; }

    /// <summary>How long the owner's one keep pauses reclaim of a job.</summary>
    public TimeSpan? JobIdleKeepFor { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public List<QuotaGroupMember> Members { get; } = [];
}

/// <summary>A portal account's membership in a quota group.</summary>
public sealed class QuotaGroupMember
{
    public int GroupId { get; set; }

    public Guid UserId { get; set; }
}
