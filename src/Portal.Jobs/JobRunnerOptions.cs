using Portal.Core.Scheduling;

namespace Portal.Jobs;

/// <summary>How the portal runs jobs (section "Portal:Jobs"). The defaults suit a small team's box.</summary>
public sealed class JobRunnerOptions
{
    public const string SectionName = "Portal:Jobs";

    /// <summary>A scheduling pass runs at least this often even without events: walltimes, aging and quota windows
    /// change with time alone.</summary>
    public TimeSpan SchedulingTick { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often the containers of starting and running jobs are listed (one launcher call per owner) to
    /// record exits. The shorter, the sooner a freed GPU goes to the next job.</summary>
    public TimeSpan WatchInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often every account's containers are compared with the database (also done once at start):
    /// containers of finished, unknown or foreign jobs are cleaned up.</summary>
    public TimeSpan ReconcileInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Time between SIGTERM and SIGKILL when the portal stops a job (walltime, clean-up).</summary>
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long the exited container of a finished job is kept. Its output (podman logs) lives in the
    /// container, so removing it at once would lose the job's log.</summary>
    public TimeSpan KeepFinishedContainers { get; set; } = TimeSpan.FromDays(1);

    /// <summary>A job stuck in podman's "created" state (a launch that never started the container) is given up
    /// after this long: the container is removed and the job fails.</summary>
    public TimeSpan StuckLaunchTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How many owners' launcher work (reconciliation, starts, walltime stops, cancels) may run at once. Each
    /// owner's runs one step at a time; one owner's slow podman holds only their own lane.</summary>
    public int OwnerConcurrency { get; set; } = 4;

    /// <summary>Copy the GPU monitor's inventory into the database before each pass, so the scheduler places jobs on
    /// the GPUs the driver reports. Off only where the GPU rows are managed otherwise (tests with fake GPUs).</summary>
    public bool SyncGpuInventory { get; set; } = true;

    /// <summary>The CPU cores and memory the box gives jobs in total. Unset (the default): only GPUs are scheduled, and
    /// CPU-only jobs are bounded by each owner's concurrent-job quota alone.</summary>
    public JobCapacityOptions Capacity { get; set; } = new();

    /// <summary>The capacity the scheduler and the submit check use, or null when none is configured.</summary>
    public HostCapacity? HostCapacity() =>
        Capacity is { Cpus: { } cpus, MemoryMiB: { } memory } ? new HostCapacity(cpus, memory) : null;
}

/// <summary>What the box gives jobs beyond GPUs (section "Portal:Jobs:Capacity"); set both or neither. Leave some for
/// the system and the portal. With it, a job asking for more than the box has is refused at submit, and queued jobs
/// start only while the running ones leave enough cores and memory (each job's container is limited to what it asked
/// for, so the sum is what the box must hold).</summary>
public sealed class JobCapacityOptions
{
    public double? Cpus { get; set; }

    public long? MemoryMiB { get; set; }
}
