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
    /// The launcher's run section for this job on <paramref name="gpus"/> (the ledger's GPU UUIDs, which are the
    /// policy's GPU ids). <see cref="JobSpecValidator"/> checks the same section at submit, so what it accepts the
    /// launcher accepts.
    /// </summary>
    public RunSpec ToRunSpec(IReadOnlyList<string> gpus)
    {
        ArgumentNullException.ThrowIfNull(gpus);
        return new RunSpec
        {
            Image = Image,
            Command = Command.Count > 0 ? [.. Command] : null,
            Env = Environment.Count > 0 ? new Dictionary<string, string>(Environment, StringComparer.Ordinal) : null,
            Gpus = gpus.Count > 0 ? [.. gpus] : null,
            Mounts = Mounts.Count > 0 ? [.. Mounts] : null,
            Workdir = WorkingDirectory,
            Cpus = Cpus,
            MemoryMiB = MemoryMiB,
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
