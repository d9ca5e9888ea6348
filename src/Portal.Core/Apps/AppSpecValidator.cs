using Portal.Core.Jobs;
using Portal.Launcher.Protocol;

namespace Portal.Core.Apps;

/// <summary>What a person submits besides the file: the app's label, walltime and priority.</summary>
/// <param name="Name">A short label (the job's name).</param>
/// <param name="Walltime">The longest the whole app may run.</param>
/// <param name="Priority">Base priority; administrators only.</param>
public sealed record AppSubmission(string Name, TimeSpan Walltime, int Priority = 0);

/// <summary>
/// Checks a parsed <see cref="AppSpec"/> against the same rules jobs follow, through <see cref="JobSpecValidator"/>
/// itself, so that an app can never ask for what a job may not: each service's image, argv, environment, working
/// directory and bind mounts one by one (pointed at their lines), then the app as one unit of scheduling: GPUs, CPUs
/// and memory summed over its services against the submitter's quota and the box.
/// </summary>
public static class AppSpecValidator
{
    /// <summary>CPUs a service without a limit is given and charged for.</summary>
    public const double DefaultServiceCpus = 1;

    /// <summary>Memory (MiB) a service without a limit is given and charged for.</summary>
    public const long DefaultServiceMemoryMiB = 1024;

    // Per-service checks see no quota: the app's totals are checked against it once.
    private static readonly Quotas.EffectiveQuota Unbounded = new(int.MaxValue, int.MaxValue, int.MaxValue, double.MaxValue,
        TimeSpan.FromDays(1), TimeSpan.MaxValue, double.MaxValue, long.MaxValue);

    /// <summary>The CPUs the app is given: its services' limits, or the default for each service without one.</summary>
    public static double TotalCpus(AppSpec spec) => spec.Services.Sum(s => s.Cpus ?? DefaultServiceCpus);

    /// <summary>The memory (MiB) the app is given, counted like <see cref="TotalCpus"/>.</summary>
    public static long TotalMemoryMiB(AppSpec spec) => spec.Services.Sum(s => s.MemoryMiB ?? DefaultServiceMemoryMiB);

    /// <summary>The job the app is scheduled and charged as: its services' resources summed.</summary>
    public static JobSpec AsJob(AppSpec spec, AppSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(submission);
        return new JobSpec
        {
            Name = submission.Name,
            Image = spec.Services[0].Image,
            Gpus = GpuRequest.Any(spec.TotalGpus),
            Cpus = TotalCpus(spec),
            MemoryMiB = TotalMemoryMiB(spec),
            Walltime = submission.Walltime,
            Priority = submission.Priority,
        };
    }

    /// <summary>The job to submit for an app file: <see cref="AsJob"/> with the file itself.</summary>
    public static JobSpec AsAppJob(AppSpec spec, AppSubmission submission, string file) => AsJob(spec, submission) with { AppFile = file };

    /// <summary>The field an app's problems are reported under (<see cref="JobSpec.AppFile"/>).</summary>
    public const string FileField = nameof(JobSpec.AppFile);

    /// <summary>
    /// Validates a job that is an app: its file is parsed again (the parser is pure, so it reads as it did at review)
    /// and checked here; the job's resources must be the file's summed. Problems come back as field errors under
    /// <see cref="FileField"/>, each starting with its line and key.
    /// </summary>
    public static IReadOnlyList<FieldError> ValidateAppJob(JobSpec job, JobSubmitContext context)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(context);
        var parsed = AppFileParser.Parse(job.AppFile ?? "");
        if (parsed.Spec is not { } spec)
        {
            return [.. parsed.Problems.Select(p => new FieldError(FileField, p.ToString()))];
        }

        var submission = new AppSubmission(job.Name, job.Walltime, job.Priority);
        var errors = Validate(spec, submission, context).Select(p => new FieldError(FileField, p.ToString())).ToList();
        var expected = AsJob(spec, submission);
        if (job.Gpus.Count != expected.Gpus.Count || job.Gpus.IsSpecific || job.Cpus != expected.Cpus || job.MemoryMiB != expected.MemoryMiB
            || job.Image != expected.Image || job.Command.Count > 0 || job.Environment.Count > 0 || job.Mounts.Count > 0 || job.WorkingDirectory is not null)
        {
            errors.Add(new FieldError("", "The app's job must be its services summed (build it with AppSpecValidator.AsJob)."));
        }

        return errors;
    }

    /// <summary>Every problem; empty when the app may be queued.</summary>
    public static IReadOnlyList<AppProblem> Validate(AppSpec spec, AppSubmission submission, JobSubmitContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(submission);
        ArgumentNullException.ThrowIfNull(context);
        var problems = new List<AppProblem>();
        var perService = context with { Quota = Unbounded, QueuedJobsOfOwner = 0, Host = null };
        var prefix = spec.Kind == AppFileKind.KubePod ? "spec.containers." : "services.";
        foreach (var service in spec.Services)
        {
            ValidateService(service, prefix + service.Name, spec.Kind == AppFileKind.KubePod ? ".volumeMounts" : ".volumes", perService, problems);
        }

        // On a cluster the proxy reaches the front through the launcher's relay, which runs the nodes' sockbridge.
        if (spec.WebFront is { } web && context.Cluster is { Sessions: false })
        {
            var front = spec.Services.First(s => s.Name == web.Service);
            problems.Add(new AppProblem(front.LineOf(ComposeRules.WebFrontKey), prefix + front.Name,
                "Jobs run on a Slurm cluster, and the launcher policy names no sockbridge on its nodes (slurm.nodeBridge): an app there cannot have a web front."));
        }

        // The app as one job: name, GPUs, CPUs, memory, walltime, priority and the queue limit against the quota.
        foreach (var error in JobSpecValidator.Validate(AsJob(spec, submission), context))
        {
            problems.Add(new AppProblem(0, error.Field switch
            {
                nameof(JobSpec.Gpus) => "GPUs (all services)",
                nameof(JobSpec.Cpus) => "CPUs (all services)",
                nameof(JobSpec.MemoryMiB) => "memory (all services)",
                nameof(JobSpec.Walltime) => "walltime",
                nameof(JobSpec.Name) => "name",
                nameof(JobSpec.Priority) => "priority",
                _ => "",
            }, error.Message));
        }

        return problems;
    }

    private static void ValidateService(AppService service, string path, string mountsKey, JobSubmitContext context, List<AppProblem> problems)
    {
        var probe = new JobSpec
        {
            Name = "service",
            Image = service.Image,
            Command = service.Command ?? [],
            Environment = service.Environment,
            WorkingDirectory = service.WorkingDirectory,
            Walltime = TimeSpan.FromHours(1),
        };
        foreach (var error in JobSpecValidator.Validate(probe, context))
        {
            var key = error.Field switch
            {
                nameof(JobSpec.Image) => "image",
                nameof(JobSpec.Command) => "command",
                nameof(JobSpec.Environment) => "environment",
                nameof(JobSpec.WorkingDirectory) => "working_dir",
                _ => "",
            };
            problems.Add(new AppProblem(service.LineOf(key), key.Length > 0 ? path + "." + key : path, error.Message));
        }

        if (service.Entrypoint is { } entrypoint)
        {
            foreach (var error in JobSpecValidator.Validate(probe with { Command = entrypoint }, context).Where(e => e.Field == nameof(JobSpec.Command)))
            {
                problems.Add(new AppProblem(service.LineOf("entrypoint"), path + ".entrypoint", error.Message));
            }
        }

        var targets = new HashSet<string>(StringComparer.Ordinal) { AppRules.HostsFileTarget };
        foreach (var bind in service.Binds)
        {
            var mount = new MountSpec(bind.Source, bind.Target, bind.ReadOnly);
            foreach (var error in JobSpecValidator.Validate(probe with { Mounts = [mount] }, context).Where(e => e.Field == nameof(JobSpec.Mounts)))
            {
                problems.Add(new AppProblem(bind.Line, path + mountsKey, error.Message));
            }

            CheckTarget(bind.Target, bind.Line, path + mountsKey, targets, problems);
        }

        // A named volume's target follows the same rule as a bind's, checked by the same code through a root-wide probe.
        var anywhere = context with { AllowedMountRoots = [new MountRoot("/", false)] };
        foreach (var volume in service.Volumes)
        {
            var mount = new MountSpec("/", volume.Target, volume.ReadOnly);
            foreach (var error in JobSpecValidator.Validate(probe with { Mounts = [mount] }, anywhere).Where(e => e.Field == nameof(JobSpec.Mounts)))
            {
                problems.Add(new AppProblem(volume.Line, path + mountsKey, error.Message));
            }

            CheckTarget(volume.Target, volume.Line, path + mountsKey, targets, problems);
        }
    }

    private static void CheckTarget(string target, int line, string key, HashSet<string> targets, List<AppProblem> problems)
    {
        if (target == AppRules.HostsFileTarget)
        {
            problems.Add(new AppProblem(line, key, "/etc/hosts is the app's own (it names the services); mount elsewhere."));
        }
        else if (!targets.Add(target))
        {
            problems.Add(new AppProblem(line, key, $"'{target}' is mounted twice."));
        }
    }
}
