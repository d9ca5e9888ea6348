using Portal.Core.Sessions;
using Portal.Launcher.Protocol;

namespace Portal.Core.Jobs;

/// <summary>What a person asks to run: everything the submit form collects. Validate with <see cref="JobSpecValidator"/>.</summary>
public sealed record JobSpec
{
    /// <summary>A short label chosen by the owner.</summary>
    public required string Name { get; init; }

    /// <summary>The container image reference, e.g. <c>localhost/pytorch:2.5</c>.</summary>
    public required string Image { get; init; }

    /// <summary>The command as separate argv items; empty runs the image's default command. Never passed through a shell.</summary>
    public IReadOnlyList<string> Command { get; init; } = [];

    /// <summary>Extra environment variables for the container.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>The working directory inside the container, or null for the image's.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>Host folders to mount; each must lie under one of the owner's allowed roots.</summary>
    public IReadOnlyList<MountSpec> Mounts { get; init; } = [];

    /// <summary>The GPUs wanted.</summary>
    public GpuRequest Gpus { get; init; } = GpuRequest.None;

    /// <summary>CPU cores (fractions allowed).</summary>
    public double Cpus { get; init; } = 1;

    /// <summary>Memory limit in MiB.</summary>
    public long MemoryMiB { get; init; } = 4096;

    /// <summary>The longest the job may run; it is stopped and marked <see cref="JobState.TimedOut"/> after that.</summary>
    public required TimeSpan Walltime { get; init; }

    /// <summary>Base priority; higher runs earlier among users with equal fair share. Only administrators set it.</summary>
    public int Priority { get; init; }

    /// <summary>
    /// For an app (docs/apps.md): the compose file or Kubernetes Pod as the user gave it. The other fields then hold
    /// what the app is scheduled and charged as (its services' GPUs, CPUs and memory summed; the first service's
    /// image); the services themselves are read from this text, by the same pure parser, whenever they are needed.
    /// </summary>
    public string? AppFile { get; init; }

    /// <summary>True for an app.</summary>
    public bool IsApp => AppFile is not null;

    /// <summary>For an interactive session: the web app the portal serves at <c>/s/&lt;id&gt;/</c>. Null for a batch job.</summary>
    public SessionApp? Session { get; init; }

    /// <summary>
    /// The job declares it can be stopped and started again from the beginning (it checkpoints, or its work is
    /// idempotent): an idle-reclaim policy of StopAndRequeue then puts it back in the queue with its original
    /// submission time instead of ending it. Batch jobs on this host only: sessions and apps never are.
    /// </summary>
    public bool Restartable { get; init; }

    /// <summary>
    /// The launcher's run section for job <paramref name="jobId"/> on <paramref name="gpus"/> (the ledger's GPU UUIDs,
    /// which are the policy's GPU ids). A session also gets its session section and the command and variables that put
    /// its app on the session socket (<see cref="SessionLaunch"/>), which hold the job id. <see cref="JobSpecValidator"/>
    /// checks this same section at submit (with the longest job id), so what it accepts the launcher accepts.
    /// </summary>
    public RunSpec ToRunSpec(long jobId, IReadOnlyList<string> gpus)
    {
        ArgumentNullException.ThrowIfNull(gpus);
        IReadOnlyList<string> command = Session is { } app ? SessionLaunch.Command(app, Command, jobId) : Command;
        var env = new Dictionary<string, string>(Environment, StringComparer.Ordinal);
        if (Session is not null)
        {
            // The session's own variables win over a job's variables of the same name: the app must find its socket.
            foreach ((string name, string value) in SessionLaunch.Environment(jobId))
            {
                env[name] = value;
            }
        }

        return new RunSpec
        {
            Image = Image,
            Command = command.Count > 0 ? [.. command] : null,
            Env = env.Count > 0 ? env : null,
            Gpus = gpus.Count > 0 ? [.. gpus] : null,
            Mounts = Mounts.Count > 0 ? [.. Mounts] : null,
            Workdir = WorkingDirectory,
            Cpus = Cpus,
            MemoryMiB = MemoryMiB,
            Session = Session is { } session ? SessionLaunch.Spec(session) : null,
        };
    }
}

/// <summary>The GPUs a job wants: a number of any free GPUs, or (administrators only) specific GPUs by UUID.</summary>
public sealed record GpuRequest
{
    private GpuRequest(int count, IReadOnlyList<string> specificUuids)
    {
        Count = count;
        SpecificUuids = specificUuids;
    }

    /// <summary>A CPU-only job.</summary>
    public static GpuRequest None { get; } = new(0, []);

    /// <summary>How many GPUs.</summary>
    public int Count { get; }

    /// <summary>The exact GPUs wanted, or empty for any.</summary>
    public IReadOnlyList<string> SpecificUuids { get; }

    /// <summary>True when specific GPUs are named.</summary>
    public bool IsSpecific => SpecificUuids.Count > 0;

    /// <summary>Any <paramref name="count"/> GPUs.</summary>
    public static GpuRequest Any(int count) => count == 0 ? None : new(count, []);

    /// <summary>Exactly these GPUs.</summary>
    public static GpuRequest Specific(IReadOnlyList<string> uuids)
    {
        ArgumentNullException.ThrowIfNull(uuids);
        return new(uuids.Count, uuids.ToArray());
    }
}
