using System.Globalization;
using System.Text.RegularExpressions;
using Portal.Core.Sessions;
using Portal.Launcher.Protocol;

namespace Portal.Core.Jobs;

/// <summary>
/// Checks a <see cref="JobSpec"/> before it is queued and reports every problem at once, per field. The shape of what
/// reaches the launcher (image, command, environment, paths, limits, the request's size) is judged by
/// <see cref="RunRules"/>, the code the launcher itself checks requests with, so a job accepted here is not refused
/// there for its shape. On top come the portal's own rules: the name, the submitter's mount roots, GPUs and quota. A
/// request that can never run under the submitter's quota is refused here naming the limit ("asks for 4 GPUs; your
/// limit is 2"); one that can run later is accepted and waits in the queue with a pending reason.
/// </summary>
public static partial class JobSpecValidator
{
    private const int MaxNameLength = 64;

    /// <summary>Every problem with <paramref name="spec"/>; empty when it may be queued.</summary>
    public static IReadOnlyList<FieldError> Validate(JobSpec spec, JobSubmitContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        if (spec.AppFile is not null)
        {
            return Apps.AppSpecValidator.ValidateAppJob(spec, context);
        }

        var errors = new List<FieldError>();
        ValidateName(spec.Name, errors);

        var request = spec.Gpus ?? GpuRequest.None;
        // The job id is not known before the job is stored: a session's command holds it, so check with the longest.
        var run = spec.ToRunSpec(long.MaxValue, request.SpecificUuids);
        var shape = RunRules.Check(run).ToLookup(v => v.Field, v => v.Message);
        void Shape(RunField field, string name) => errors.AddRange(shape[field].Select(m => new FieldError(name, m)));

        Shape(RunField.Image, nameof(JobSpec.Image));
        Shape(RunField.Command, nameof(JobSpec.Command));
        Shape(RunField.Env, nameof(JobSpec.Environment));
        if (!shape[RunField.Command].Any() && !shape[RunField.Env].Any())
        {
            ValidateSize(run, request.Count, errors);
        }

        Shape(RunField.Workdir, nameof(JobSpec.WorkingDirectory));
        Shape(RunField.Mounts, nameof(JobSpec.Mounts));
        ValidateMountRoots(spec.Mounts ?? [], context.AllowedMountRoots, errors);
        Shape(RunField.Gpus, nameof(JobSpec.Gpus));
        ValidateGpus(spec, context, errors);
        Shape(RunField.Cpus, nameof(JobSpec.Cpus));
        Shape(RunField.MemoryMiB, nameof(JobSpec.MemoryMiB));
        ValidateResources(spec, context, shape, errors);
        ValidateSession(spec, shape[RunField.Session], errors);
        ValidateRestartable(spec, context, errors);
        if (spec.Priority != 0 && !context.IsAdmin)
        {
            errors.Add(new(nameof(JobSpec.Priority), "Only administrators can set a priority."));
        }

        if (context.QueuedJobsOfOwner >= context.Quota.MaxQueuedJobs)
        {
            errors.Add(new("", Format(
                $"You already have {context.QueuedJobsOfOwner} queued jobs; your limit is {context.Quota.MaxQueuedJobs}.")));
        }

        return errors;
    }

    private static void ValidateName(string? name, List<FieldError> errors)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            errors.Add(new(nameof(JobSpec.Name), "A name is required."));
        }
        else if (name.Length > MaxNameLength || !NamePattern().IsMatch(name))
        {
            errors.Add(new(nameof(JobSpec.Name), Format(
                $"Use up to {MaxNameLength} letters, digits, '.', '_' or '-', starting with a letter or digit.")));
        }
    }

    /// <summary>The launcher reads at most <see cref="LauncherProtocol.MaxRequestBytes"/>: what would not fit is
    /// refused now, on the field that takes the most room.</summary>
    private static void ValidateSize(RunSpec run, int gpuCount, List<FieldError> errors)
    {
        int bytes = RunRules.WorstCaseRequestBytes(run, gpuCount);
        if (bytes <= LauncherProtocol.MaxRequestBytes)
        {
            return;
        }

        long commandChars = run.Command?.Sum(a => (long)a.Length) ?? 0;
        long environmentChars = run.Env?.Sum(e => (long)e.Key.Length + e.Value.Length) ?? 0;
        errors.Add(new(
            commandChars >= environmentChars ? nameof(JobSpec.Command) : nameof(JobSpec.Environment),
            Format($"The command, environment and mounts together take {bytes} bytes as sent to the launcher; the limit is {LauncherProtocol.MaxRequestBytes}.")));
    }

    /// <summary>Where the submitter may mount from: the portal's configured roots, which must agree with the launcher
    /// policy's (the launcher enforces its own again, with the file system in view).</summary>
    private static void ValidateMountRoots(IReadOnlyList<MountSpec> mounts, IReadOnlyList<MountRoot> roots, List<FieldError> errors)
    {
        foreach (var mount in mounts.Where(m => PathRules.IsMountPath(m?.Source)))
        {
            var root = MountRoot.Holding(roots, mount.Source);
            if (root is null)
            {
                errors.Add(new(nameof(JobSpec.Mounts), $"'{mount.Source}' is outside the folders you may mount ("
                    + string.Join(", ", roots.Select(r => r.Path)) + ")."));
            }
            else if (root.ReadOnly && !mount.ReadOnly)
            {
                errors.Add(new(nameof(JobSpec.Mounts), $"'{mount.Source}' can only be mounted read-only."));
            }
        }
    }

    /// <summary>
    /// The portal's own session rules (the kinds it knows, a port only for a web app), then the launcher's
    /// (<see cref="SessionRules"/>, through <see cref="RunRules"/>): a bridged app without a command is the command's
    /// problem.
    /// </summary>
    private static void ValidateSession(JobSpec spec, IEnumerable<string> shapeProblems, List<FieldError> errors)
    {
        if (spec.Session is not { } app)
        {
            return;
        }

        if (!Enum.IsDefined(app.Kind))
        {
            errors.Add(new(nameof(JobSpec.Session), "Unknown kind of session."));
            return;
        }

        if (app.Port is not null && app.Kind != SessionKind.WebApp)
        {
            errors.Add(new(nameof(JobSpec.Session), "Only a web app takes a port; Jupyter and VS Code listen on the session socket."));
            return;
        }

        // SessionRules reports a port out of range first; with a good port, what is left is the missing command.
        string field = app.Port is >= 1 and <= 65535 && (spec.Command ?? []).Count == 0 ? nameof(JobSpec.Command) : nameof(JobSpec.Session);
        errors.AddRange(shapeProblems.Select(problem => new FieldError(field, problem)));
    }

    private static void ValidateGpus(JobSpec spec, JobSubmitContext context, List<FieldError> errors)
    {
        var request = spec.Gpus ?? GpuRequest.None;
        var boxGpus = context.GpuUuidsOnBox.Count;
        if (request.Count < 0)
        {
            errors.Add(new(nameof(JobSpec.Gpus), "The number of GPUs cannot be negative."));
            return;
        }

        if (context.Cluster is { } cluster)
        {
            ValidateCluster(spec, request, cluster, errors);
        }
        else if (request.IsSpecific)
        {
            if (!context.IsAdmin)
            {
                errors.Add(new(nameof(JobSpec.Gpus), "Only administrators can pick specific GPUs; ask for a number of GPUs instead."));
            }

            // Ids of the wrong shape (and duplicates) are RunRules' to report.
            foreach (var uuid in request.SpecificUuids.Where(u => RunRules.IsGpuId(u) && !context.GpuUuidsOnBox.Contains(u)))
            {
                errors.Add(new(nameof(JobSpec.Gpus), $"There is no GPU {uuid} on this machine."));
            }
        }

        if (request.Count == 0)
        {
            return;
        }

        if (context.Cluster is not null)
        {
            // Checked against the cluster's nodes above.
        }
        else if (boxGpus == 0)
        {
            errors.Add(new(nameof(JobSpec.Gpus), Format($"asks for {Gpus(request.Count)}; this machine has no GPU.")));
        }
        else if (request.Count > boxGpus)
        {
            errors.Add(new(nameof(JobSpec.Gpus), Format($"asks for {Gpus(request.Count)}; this machine has {boxGpus}.")));
        }

        if (request.Count > context.Quota.MaxConcurrentGpus)
        {
            errors.Add(new(nameof(JobSpec.Gpus), Format($"asks for {Gpus(request.Count)}; your limit is {context.Quota.MaxConcurrentGpus}.")));
        }

        // A job that would need more GPU-hours than the whole window allows could never be admitted.
        var gpuHours = request.Count * spec.Walltime.TotalHours;
        if (spec.Walltime > TimeSpan.Zero && gpuHours > context.Quota.GpuHoursPerWindow)
        {
            errors.Add(new(nameof(JobSpec.Gpus), Format(
                $"asks for up to {gpuHours:0.##} GPU-hours ({Gpus(request.Count)} for {Hours(spec.Walltime)}); your limit is {context.Quota.GpuHoursPerWindow:0.##} GPU-hours per {Hours(context.Quota.Window)}.")));
        }
    }

    /// <summary>Only a batch job on this host can be requeued: a session or an app is someone at work (or serving),
    /// and the idle reclaim that requeues works on this host's GPUs only.</summary>
    private static void ValidateRestartable(JobSpec spec, JobSubmitContext context, List<FieldError> errors)
    {
        if (!spec.Restartable)
        {
            return;
        }

        if (spec.Session is not null || spec.IsApp)
        {
            errors.Add(new(nameof(JobSpec.Restartable), "Sessions and apps cannot be restartable; only batch jobs can be stopped and queued again."));
        }
        else if (context.Cluster is not null)
        {
            errors.Add(new(nameof(JobSpec.Restartable), "Jobs on a Slurm cluster cannot be restartable: only jobs on this host are requeued."));
        }
    }

    /// <summary>On a Slurm cluster Slurm picks the GPUs, on one node: a job can ask for a number, up to the largest node's.</summary>
    private static void ValidateCluster(JobSpec spec, GpuRequest request, ClusterCapacity cluster, List<FieldError> errors)
    {
        // The proxy reaches a session on a node through the launcher's relay, which runs the nodes' sockbridge.
        if (spec.Session is not null && !cluster.Sessions)
        {
            errors.Add(new(nameof(JobSpec.Session),
                "Jobs run on a Slurm cluster, and the launcher policy names no sockbridge on its nodes (slurm.nodeBridge): no interactive sessions there."));
        }

        if (request.IsSpecific)
        {
            errors.Add(new(nameof(JobSpec.Gpus), "Jobs run on a Slurm cluster, which picks the GPUs: ask for a number of GPUs instead."));
        }
        else if (request.Count > 0 && cluster.MaxGpusPerNode == 0)
        {
            errors.Add(new(nameof(JobSpec.Gpus), Format($"asks for {Gpus(request.Count)}; no node of the cluster that is up has a GPU.")));
        }
        else if (request.Count > cluster.MaxGpusPerNode)
        {
            errors.Add(new(nameof(JobSpec.Gpus), Format($"asks for {Gpus(request.Count)}; the cluster's largest node has {cluster.MaxGpusPerNode}.")));
        }

        if (spec.Walltime > ClusterCapacity.MaxWalltime)
        {
            errors.Add(new(nameof(JobSpec.Walltime), Format($"is longer than {ClusterCapacity.MaxWalltime.TotalDays:0} days, the most the portal asks Slurm for.")));
        }

        if (spec.Cpus > SlurmLimits.MaxCpus)
        {
            errors.Add(new(nameof(JobSpec.Cpus), Format($"asks for {spec.Cpus:0.##} CPUs; a job on the cluster runs on one node, and no node has more than {SlurmLimits.MaxCpus:0}.")));
        }

        if (spec.MemoryMiB > SlurmLimits.MaxMemoryMiB)
        {
            errors.Add(new(nameof(JobSpec.MemoryMiB), Format($"asks for {spec.MemoryMiB} MiB; no node has more than {SlurmLimits.MaxMemoryMiB} MiB.")));
        }

        if (request.Count > SlurmLimits.MaxGpus)
        {
            errors.Add(new(nameof(JobSpec.Gpus), Format($"asks for {Gpus(request.Count)}; the most one job can ask Slurm for is {SlurmLimits.MaxGpus}.")));
        }
    }

    private static void ValidateResources(JobSpec spec, JobSubmitContext context, ILookup<RunField, string> shape, List<FieldError> errors)
    {
        var quota = context.Quota;
        if (shape[RunField.Cpus].Any())
        {
            // The shape rule said what is wrong.
        }
        else if (spec.Cpus > quota.MaxCpusPerJob)
        {
            errors.Add(new(nameof(JobSpec.Cpus), Format($"asks for {spec.Cpus:0.##} CPUs; your limit is {quota.MaxCpusPerJob:0.##} per job.")));
        }
        else if (context.Host is { } host && spec.Cpus > host.Cpus)
        {
            errors.Add(new(nameof(JobSpec.Cpus), Format($"asks for {spec.Cpus:0.##} CPUs; this machine gives jobs {host.Cpus:0.##}.")));
        }

        if (shape[RunField.MemoryMiB].Any())
        {
            // As for CPUs.
        }
        else if (spec.MemoryMiB > quota.MaxMemoryMiBPerJob)
        {
            errors.Add(new(nameof(JobSpec.MemoryMiB), Format($"asks for {spec.MemoryMiB} MiB of memory; your limit is {quota.MaxMemoryMiBPerJob} MiB per job.")));
        }
        else if (context.Host is { } host && spec.MemoryMiB > host.MemoryMiB)
        {
            errors.Add(new(nameof(JobSpec.MemoryMiB), Format($"asks for {spec.MemoryMiB} MiB of memory; this machine gives jobs {host.MemoryMiB} MiB.")));
        }

        if (spec.Walltime <= TimeSpan.Zero)
        {
            errors.Add(new(nameof(JobSpec.Walltime), "A walltime longer than zero is required."));
        }
        else if (spec.Walltime > quota.MaxWalltime)
        {
            errors.Add(new(nameof(JobSpec.Walltime), Format($"asks for {Hours(spec.Walltime)}; your limit is {Hours(quota.MaxWalltime)}.")));
        }
    }

    private static string Gpus(int count) => count == 1 ? "1 GPU" : Format($"{count} GPUs");

    private static string Hours(TimeSpan span) => span.TotalHours >= 48 && span.TotalDays == Math.Floor(span.TotalDays)
        ? Format($"{span.TotalDays:0} days")
        : Format($"{span.TotalHours:0.##} h");

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex NamePattern();
}
