using System.Globalization;
using System.Text.RegularExpressions;
using Portal.Launcher.Protocol;

namespace Portal.Core.Jobs;

/// <summary>
/// Checks a <see cref="JobSpec"/> before it is queued and reports every problem at once, per field. A request that
/// can never run under the submitter's quota is refused here naming the limit ("asks for 4 GPUs; your limit is 2");
/// one that can run later is accepted and waits in the queue with a pending reason.
/// </summary>
public static partial class JobSpecValidator
{
    /// <summary>Environment variables the portal sets itself to match the assigned GPUs.</summary>
    public static IReadOnlySet<string> ReservedEnvironment { get; } =
        new HashSet<string>(["CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES"], StringComparer.Ordinal);

    private const int MaxNameLength = 64;
    private const int MaxImageLength = 255;
    private const int MaxArguments = 256;
    private const int MaxCommandChars = 64 * 1024;
    private const int MaxEnvironmentEntries = 128;
    private const int MaxMounts = 32;
    private static readonly string[] ForbiddenTargets = ["/proc", "/sys", "/dev"];

    /// <summary>Every problem with <paramref name="spec"/>; empty when it may be queued.</summary>
    public static IReadOnlyList<FieldError> Validate(JobSpec spec, JobSubmitContext context)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(context);
        var errors = new List<FieldError>();
        ValidateName(spec.Name, errors);
        ValidateImage(spec.Image, errors);
        ValidateCommand(spec.Command, errors);
        ValidateEnvironment(spec.Environment, errors);
        ValidateWorkingDirectory(spec.WorkingDirectory, errors);
        ValidateMounts(spec.Mounts, context.AllowedMountRoots, errors);
        ValidateGpus(spec, context, errors);
        ValidateResources(spec, context, errors);
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

    private static void ValidateImage(string? image, List<FieldError> errors)
    {
        if (string.IsNullOrWhiteSpace(image))
        {
            errors.Add(new(nameof(JobSpec.Image), "An image is required."));
        }
        else if (image.Length > MaxImageLength || !ImagePattern().IsMatch(image))
        {
            // The pattern also keeps the image from being read as a podman option (no leading '-').
            errors.Add(new(nameof(JobSpec.Image), "Not a valid image reference, e.g. localhost/pytorch:2.5 or docker.io/library/python:3.12."));
        }
    }

    private static void ValidateCommand(IReadOnlyList<string>? command, List<FieldError> errors)
    {
        if (command is null)
        {
            return;
        }

        if (command.Count > MaxArguments)
        {
            errors.Add(new(nameof(JobSpec.Command), Format($"Use at most {MaxArguments} arguments.")));
        }

        if (command.Any(a => a is null || a.Contains('\0', StringComparison.Ordinal)))
        {
            errors.Add(new(nameof(JobSpec.Command), "Arguments cannot contain NUL characters."));
        }
        else if (command.Sum(a => a.Length) > MaxCommandChars)
        {
            errors.Add(new(nameof(JobSpec.Command), Format($"The command is longer than {MaxCommandChars} characters.")));
        }
    }

    private static void ValidateEnvironment(IReadOnlyDictionary<string, string>? environment, List<FieldError> errors)
    {
        if (environment is null)
        {
            return;
        }

        if (environment.Count > MaxEnvironmentEntries)
        {
            errors.Add(new(nameof(JobSpec.Environment), Format($"Use at most {MaxEnvironmentEntries} variables.")));
        }

        foreach (var (key, value) in environment.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!EnvironmentNamePattern().IsMatch(key))
            {
                errors.Add(new(nameof(JobSpec.Environment), $"'{key}' is not a valid variable name (letters, digits and '_', not starting with a digit)."));
            }
            else if (ReservedEnvironment.Contains(key))
            {
                errors.Add(new(nameof(JobSpec.Environment), $"{key} is set by the portal to match the assigned GPUs."));
            }
            else if (value is null || value.Contains('\0', StringComparison.Ordinal))
            {
                errors.Add(new(nameof(JobSpec.Environment), $"The value of {key} cannot contain NUL characters."));
            }
        }
    }

    private static void ValidateWorkingDirectory(string? directory, List<FieldError> errors)
    {
        if (directory is not null && !IsCleanAbsolutePath(directory))
        {
            errors.Add(new(nameof(JobSpec.WorkingDirectory), "Use an absolute path without '.' or '..' parts."));
        }
    }

    private static void ValidateMounts(IReadOnlyList<MountSpec>? mounts, IReadOnlyList<MountRoot> roots, List<FieldError> errors)
    {
        if (mounts is null)
        {
            return;
        }

        if (mounts.Count > MaxMounts)
        {
            errors.Add(new(nameof(JobSpec.Mounts), Format($"Use at most {MaxMounts} mounts.")));
        }

        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var mount in mounts)
        {
            if (!IsCleanAbsolutePath(mount.Source))
            {
                errors.Add(new(nameof(JobSpec.Mounts), $"'{mount.Source}' is not an absolute path without '.' or '..' parts."));
                continue;
            }

            var root = roots.Where(r => IsUnder(mount.Source, r.Path)).OrderByDescending(r => r.Path.Length).FirstOrDefault();
            if (root is null)
            {
                errors.Add(new(nameof(JobSpec.Mounts), $"'{mount.Source}' is outside the folders you may mount ("
                    + string.Join(", ", roots.Select(r => r.Path)) + ")."));
            }
            else if (root.ReadOnly && !mount.ReadOnly)
            {
                errors.Add(new(nameof(JobSpec.Mounts), $"'{mount.Source}' can only be mounted read-only."));
            }

            if (!IsCleanAbsolutePath(mount.Target) || mount.Target == "/" || ForbiddenTargets.Any(f => IsUnder(mount.Target, f)))
            {
                errors.Add(new(nameof(JobSpec.Mounts), $"'{mount.Target}' cannot be a mount target in the container."));
            }
            else if (!targets.Add(mount.Target))
            {
                errors.Add(new(nameof(JobSpec.Mounts), $"'{mount.Target}' is mounted twice."));
            }
        }
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

            foreach (var uuid in request.SpecificUuids.Where(u => !context.GpuUuidsOnBox.Contains(u)))
            {
                errors.Add(new(nameof(JobSpec.Gpus), $"There is no GPU {uuid} on this machine."));
            }

            if (request.SpecificUuids.Distinct(StringComparer.Ordinal).Count() != request.Count)
            {
                errors.Add(new(nameof(JobSpec.Gpus), "A GPU is listed twice."));
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

    /// <summary>On a Slurm cluster Slurm picks the GPUs, on one node: a job can ask for a number, up to the largest node's.</summary>
    private static void ValidateCluster(JobSpec spec, GpuRequest request, ClusterCapacity cluster, List<FieldError> errors)
    {
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

    private static void ValidateResources(JobSpec spec, JobSubmitContext context, List<FieldError> errors)
    {
        var quota = context.Quota;
        if (!(spec.Cpus > 0) || double.IsInfinity(spec.Cpus))
        {
            errors.Add(new(nameof(JobSpec.Cpus), "Ask for more than 0 CPUs."));
        }
        else if (spec.Cpus > quota.MaxCpusPerJob)
        {
            errors.Add(new(nameof(JobSpec.Cpus), Format($"asks for {spec.Cpus:0.##} CPUs; your limit is {quota.MaxCpusPerJob:0.##} per job.")));
        }
        else if (context.Host is { } host && spec.Cpus > host.Cpus)
        {
            errors.Add(new(nameof(JobSpec.Cpus), Format($"asks for {spec.Cpus:0.##} CPUs; this machine gives jobs {host.Cpus:0.##}.")));
        }

        if (spec.MemoryMiB <= 0)
        {
            errors.Add(new(nameof(JobSpec.MemoryMiB), "Ask for more than 0 MiB of memory."));
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

    private static bool IsCleanAbsolutePath(string? path) =>
        path is { Length: > 0 and <= 4096 }
        && path[0] == '/'
        && !path.Contains('\0', StringComparison.Ordinal)
        && (path == "/" || path[1..].TrimEnd('/').Split('/').All(part => part is not ("" or "." or "..")));

    private static bool IsUnder(string path, string root)
    {
        var normalizedRoot = root.TrimEnd('/');
        var normalizedPath = path.TrimEnd('/');
        return normalizedPath == normalizedRoot
            || normalizedPath.StartsWith(normalizedRoot + "/", StringComparison.Ordinal)
            || normalizedRoot.Length == 0;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]*$")]
    private static partial Regex EnvironmentNamePattern();

    // [host[:port]/]path[:tag][@sha256:digest], path components lower-case as the OCI distribution spec requires.
    [GeneratedRegex(@"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$")]
    private static partial Regex ImagePattern();
}
