namespace Portal.Data.Entities.Jobs;

/// <summary>One row of a job's state history: every move, including the first (into Queued, from nothing).</summary>
public sealed class JobStateChangeRecord
{
    public long Id { get; set; }

    public long JobId { get; set; }

    /// <summary>The state left; null for the submission.</summary>
    public JobStateColumn? FromState { get; set; }

    public JobStateColumn ToState { get; set; }

    public DateTimeOffset At { get; set; }

    /// <summary>Why, for people: "exit code 1", "cancelled by alice".</summary>
    public string? Reason { get; set; }
}
