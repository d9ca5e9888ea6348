namespace Portal.Api.Contracts;

/// <summary>A job to queue. Omitted resources take the launch form's defaults.</summary>
public sealed record SubmitJobRequest
{
    /// <summary>A short label: letters, digits, '.', '_' or '-'.</summary>
    public string? Name { get; init; }

    /// <summary>A local image reference, e.g. <c>localhost/pytorch:2.5</c>.</summary>
    public string? Image { get; init; }

    /// <summary>The command as separate arguments (never run through a shell); empty runs the image's default.</summary>
    public IReadOnlyList<string>? Command { get; init; }

    public IReadOnlyDictionary<string, string>? Environment { get; init; }

    /// <summary>An absolute path inside the container.</summary>
    public string? WorkingDirectory { get; init; }

    public IReadOnlyList<MountRequest>? Mounts { get; init; }

    /// <summary>How many GPUs (any free ones).</summary>
    public int? Gpus { get; init; }

    /// <summary>Specific GPUs by UUID instead of a number (administrators only).</summary>
    public IReadOnlyList<string>? GpuUuids { get; init; }

    public double? Cpus { get; init; }

    public long? MemoryMiB { get; init; }

    public int? WalltimeMinutes { get; init; }

    /// <summary>Administrators only.</summary>
    public int? Priority { get; init; }

    /// <summary>An interactive session instead of a batch job: the portal serves its app at <c>/s/&lt;id&gt;/</c>.</summary>
    public SessionRequest? Session { get; init; }

    /// <summary>
    /// The job can be stopped and started again from the beginning (it checkpoints, or its work is idempotent): an
    /// idle-reclaim policy of <c>StopAndRequeue</c> then queues it again in its place instead of ending it. Batch jobs
    /// on the portal's own host only; refused for sessions. Default false.
    /// </summary>
    public bool? Restartable { get; init; }
}

/// <summary>What serves a session's page.</summary>
/// <param name="Kind"><c>jupyter</c>, <c>vscode</c> or <c>webapp</c> (<see cref="SessionKinds"/>).</param>
/// <param name="Port">For a web app that listens on TCP only: its port inside the container.</param>
public sealed record SessionRequest(string Kind, int? Port = null);

/// <summary>A running session's kind and where the browser opens it.</summary>
public sealed record SessionInfo(string Kind, int? Port, string Path);

/// <summary>The kinds of session as the API spells them.</summary>
public static class SessionKinds
{
    public const string Jupyter = "jupyter";
    public const string VsCode = "vscode";
    public const string WebApp = "webapp";

    public static IReadOnlyList<string> All { get; } = [Jupyter, VsCode, WebApp];
}

/// <summary>A host folder to mount into the job's container.</summary>
public sealed record MountRequest(string Source, string Target, bool ReadOnly = false);

/// <summary>The answer to an accepted submission.</summary>
public sealed record SubmitJobResponse(long Id, string State);

/// <summary>One row of a job list.</summary>
public sealed record JobSummaryResponse(
    long Id,
    string Name,
    string Owner,
    string Image,
    string State,
    string? PendingReason,
    int Gpus,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int? ExitCode,
    double? GpuHours);

/// <summary>A page of jobs, newest first.</summary>
public sealed record JobListResponse(IReadOnlyList<JobSummaryResponse> Items, int Total, int Skip, int Take);

/// <summary>One move in a job's life.</summary>
public sealed record JobHistoryEntry(DateTimeOffset At, string State, string? Detail);

/// <summary>A job with its request, placement and history.</summary>
public sealed record JobResponse(
    long Id,
    string Name,
    string Owner,
    string Image,
    IReadOnlyList<string> Command,
    IReadOnlyDictionary<string, string> Environment,
    string? WorkingDirectory,
    IReadOnlyList<MountRequest> Mounts,
    string State,
    string? PendingReason,
    string? PendingReasonText,
    int Gpus,
    IReadOnlyList<string> AssignedGpus,
    double Cpus,
    long MemoryMiB,
    int WalltimeMinutes,
    int Priority,
    DateTimeOffset SubmittedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? FinishedAt,
    int? ExitCode,
    double? GpuHours,
    string? ContainerName,
    IReadOnlyList<JobHistoryEntry> History,
    SessionInfo? Session = null,
    JobUsageResponse? Usage = null,
    JobBackendResponse? Backend = null,
    bool Restartable = false,
    int Attempts = 0)
{
    /// <summary>True once the job can no longer change.</summary>
    public bool IsFinal => State is JobStates.Succeeded or JobStates.Failed or JobStates.Cancelled or JobStates.TimedOut or JobStates.Lost;
}

/// <summary>
/// What a job used, as the kernel counted it in the job's own cgroup, recorded when the job ended (absent while it
/// runs, and for jobs that ended before the portal kept these figures).
/// </summary>
/// <param name="CpuSeconds">CPU time of every process of the job.</param>
/// <param name="PeakMemoryBytes">The most memory the job held at once (absent where the kernel keeps no peak).</param>
/// <param name="OomKills">Processes of the job the kernel's OOM killer ended; above 0, the job hit its memory limit
/// (and, unless it was cancelled or timed out, ended Failed with "out of memory: limit N MiB").</param>
public sealed record JobUsageResponse(double CpuSeconds, long? PeakMemoryBytes, long OomKills);

/// <summary>Where a job runs, and for a Slurm job Slurm's own view of it.</summary>
/// <param name="Kind">local (podman on the portal's host) or slurm.</param>
/// <param name="JobId">Slurm's job id, once the job was handed to Slurm.</param>
/// <param name="State">Slurm's state word (PENDING, RUNNING, COMPLETED, NODE_FAIL, ...).</param>
/// <param name="Reason">Slurm's pending reason word (Resources, Priority, QOSMaxGRESPerUser, ...), kept beside the
/// portal's own pendingReason it maps to.</param>
/// <param name="Nodes">The nodes it ran on.</param>
/// <param name="Gpus">The GPUs Slurm allocated (node/gpuINDEX).</param>
public sealed record JobBackendResponse(string Kind, string? JobId, string? State, string? Reason, string? Nodes, IReadOnlyList<string> Gpus);

/// <summary>The job states as the API spells them.</summary>
public static class JobStates
{
    public const string Queued = "Queued";
    public const string Starting = "Starting";
    public const string Running = "Running";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";
    public const string Cancelled = "Cancelled";
    public const string TimedOut = "TimedOut";
    public const string Lost = "Lost";

    public static IReadOnlyList<string> All { get; } = [Queued, Starting, Running, Succeeded, Failed, Cancelled, TimedOut, Lost];
}

/// <summary>One line of a job's output in the log API's JSON form (<c>format=json</c>).</summary>
/// <param name="Line">Its number, from 1 (what <c>offset</c> and SSE's Last-Event-ID count).</param>
/// <param name="Stream">stdout or stderr (a Slurm job's output file keeps both as one: stdout).</param>
/// <param name="Time">When it was written, UTC with nanoseconds (<c>2026-12-06T11:22:40.219534842Z</c>); absent where the
/// backend keeps no time (Slurm).</param>
/// <param name="Text">The line, without its line break.</param>
public sealed record JobLogLineResponse(int Line, string Stream, string? Time, string Text);

/// <summary>The stream names of <see cref="JobLogLineResponse.Stream"/>.</summary>
public static class JobLogStreams
{
    public const string Stdout = "stdout";
    public const string Stderr = "stderr";
}
