using System.Globalization;
using System.Text.Json;

namespace Portal.Launcher.Protocol;

/// <summary>The part of a run request a rule speaks about. The portal shows the message next to its own field for it.</summary>
public enum RunField
{
    Image,
    Command,
    Env,
    Mounts,
    Workdir,
    Gpus,
    Cpus,
    MemoryMiB,
    Session,
}

/// <summary>One broken rule: where, and a sentence a person can act on.</summary>
public sealed record RunRuleViolation(RunField Field, string Message);

/// <summary>
/// Every rule of shape for a <see cref="RunSpec"/>: what can be decided from the request alone, with no policy and
/// no file system. The portal checks a job with these at submit and the launcher checks the request with the same
/// code, so a job the portal queues is never refused later for its shape. What depends on the host (the launcher
/// policy's mount roots, GPU list and CPU and memory maximums; symlinks in mount sources) is checked where that
/// knowledge is: docs/launcher.md lists both.
/// </summary>
public static class RunRules
{
    public const int MaxCommandItems = 256;

    /// <summary>The longest one argument or one environment value may be, in characters.</summary>
    public const int MaxItemLength = 8192;

    public const int MaxEnv = 128;
    public const int MaxEnvNameLength = 128;
    public const int MaxMounts = 32;
    public const int MaxGpus = 64;
    public const int MaxGpuIdLength = 64;

    /// <summary>Two decimals are as fine as podman's --cpus is given.</summary>
    public const double MinCpus = 0.01;

    /// <summary>podman refuses a memory limit below 6 MiB.</summary>
    public const long MinMemoryMiB = 6;

    /// <summary>A sanity bound that holds whatever the policy says: 16 TiB.</summary>
    public const long MaxMemoryMiB = 16L * 1024 * 1024;

    /// <summary>
    /// Variables that decide which GPUs a job sees and what the NVIDIA or ROCm runtime hands it. The launcher sets
    /// the first two from the GPUs allocated (after the job's own environment, so they win); the others are refused
    /// so that no job can widen or reshape its GPU access through the container runtime's hooks.
    /// </summary>
    public static IReadOnlySet<string> ReservedEnv { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES", "NVIDIA_REQUIRE_CUDA",
        "NVIDIA_DISABLE_REQUIRE", "NVIDIA_MIG_CONFIG_DEVICES", "NVIDIA_MIG_MONITOR_DEVICES", "ROCR_VISIBLE_DEVICES",
        "HIP_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL",
    };

    /// <summary>Mount targets that would hide the container's own system directories.</summary>
    public static IReadOnlyList<string> ForbiddenMountTargets { get; } = ["/", "/proc", "/sys", "/dev"];

    /// <summary>Every rule <paramref name="run"/> breaks, in field order; empty when its shape is fine.</summary>
    public static IReadOnlyList<RunRuleViolation> Check(RunSpec run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var found = new List<RunRuleViolation>();
        void Add(RunField field, string message) => found.Add(new RunRuleViolation(field, message));

        if (string.IsNullOrWhiteSpace(run.Image))
        {
            Add(RunField.Image, "An image is required.");
        }
        else if (!ImageReference.IsValid(run.Image))
        {
            Add(RunField.Image, $"Not a valid image reference: '{Quote(run.Image)}'. Use e.g. localhost/pytorch:2.5 or docker.io/library/python:3.12.");
        }

        CheckCommand(run.Command ?? [], Add);
        CheckEnv(run.Env ?? new Dictionary<string, string>(), Add);
        CheckMounts(run.Mounts ?? [], Add);
        if (run.Workdir is not null && !PathRules.IsContainerPath(run.Workdir))
        {
            Add(RunField.Workdir, "Use an absolute path without '.', '..' or empty parts, a trailing '/' or control characters.");
        }

        CheckGpus(run.Gpus ?? [], Add);
        if (run.Cpus is { } cpus && !(double.IsFinite(cpus) && cpus >= MinCpus))
        {
            Add(RunField.Cpus, Format($"Ask for at least {MinCpus} CPUs."));
        }

        if (run.MemoryMiB is { } memory && memory < MinMemoryMiB)
        {
            Add(RunField.MemoryMiB, Format($"Ask for at least {MinMemoryMiB} MiB of memory."));
        }
        else if (run.MemoryMiB > MaxMemoryMiB)
        {
            Add(RunField.MemoryMiB, Format($"Ask for at most {MaxMemoryMiB} MiB of memory."));
        }

        if (run.Session is { } session && SessionRules.Problem(session, run.Command?.Count ?? 0) is { } sessionProblem)
        {
            Add(RunField.Session, sessionProblem);
        }

        return found;
    }

    /// <summary>
    /// The largest the launcher request carrying <paramref name="run"/> can be once the portal adds the envelope
    /// (the longest user name and job key) and <paramref name="gpuCount"/> GPU ids of the longest shape, as the
    /// portal's client serializes it (JSON escapes included). The launcher refuses anything over
    /// <see cref="LauncherProtocol.MaxRequestBytes"/> unread, so the portal checks this at submit.
    /// </summary>
    public static int WorstCaseRequestBytes(RunSpec run, int gpuCount)
    {
        ArgumentNullException.ThrowIfNull(run);
        var request = new LauncherRequest
        {
            Version = LauncherProtocol.Version,
            Verb = LauncherVerbs.Run,
            User = new string('u', LinuxUserName.MaxLength),
            Job = new string('9', 19),
            // The longest numbers JSON can carry stand in for the limits: their own shape is checked apart.
            Run = run with
            {
                Gpus = gpuCount > 0 ? [.. Enumerable.Repeat(new string('g', MaxGpuIdLength), gpuCount)] : null,
                Cpus = double.MinValue,
                MemoryMiB = long.MinValue,
            },
        };

        // The client sends one line: the JSON and a newline.
        return JsonSerializer.SerializeToUtf8Bytes(request, LauncherJsonContext.Default.LauncherRequest).Length + 1;
    }

    /// <summary>A variable name: [A-Za-z_][A-Za-z0-9_]*, at most <see cref="MaxEnvNameLength"/> characters.</summary>
    public static bool IsEnvName(string? name) =>
        name is { Length: > 0 and <= MaxEnvNameLength } && (char.IsAsciiLetter(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>A GPU id as a policy lists it and a request names it: an index or a UUID (GPU-..., MIG-...).</summary>
    public static bool IsGpuId(string? id) =>
        id is { Length: > 0 and <= MaxGpuIdLength } && char.IsAsciiLetterOrDigit(id[0])
        && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    private static void CheckCommand(IReadOnlyList<string?> command, Action<RunField, string> add)
    {
        if (command.Count > MaxCommandItems)
        {
            add(RunField.Command, Format($"Use at most {MaxCommandItems} arguments."));
        }

        if (command.Any(a => a is null))
        {
            add(RunField.Command, "An argument is missing (null).");
        }

        if (command.Any(a => a?.Contains('\0', StringComparison.Ordinal) == true))
        {
            add(RunField.Command, "Arguments cannot contain NUL characters.");
        }

        if (command.Any(a => a?.Length > MaxItemLength))
        {
            add(RunField.Command, Format($"An argument is longer than {MaxItemLength} characters."));
        }
    }

    private static void CheckEnv(IReadOnlyDictionary<string, string> env, Action<RunField, string> add)
    {
        if (env.Count > MaxEnv)
        {
            add(RunField.Env, Format($"Use at most {MaxEnv} variables."));
        }

        foreach ((string name, string? value) in env.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!IsEnvName(name))
            {
                add(RunField.Env, Format($"'{Quote(name)}' is not a valid variable name (up to {MaxEnvNameLength} letters, digits and '_', not starting with a digit)."));
            }
            else if (ReservedEnv.Contains(name))
            {
                add(RunField.Env, $"{name} is reserved: a job's GPU environment is set from the GPUs allocated to it.");
            }
            else if (value is null)
            {
                add(RunField.Env, $"The value of {name} is missing (null).");
            }
            else if (value.AsSpan().IndexOfAny('\0', '\n', '\r') >= 0)
            {
                // The launcher hands the environment to podman in a file of NAME=value lines.
                add(RunField.Env, $"The value of {name} cannot contain NUL characters or line breaks.");
            }
            else if (value.Length > MaxItemLength)
            {
                add(RunField.Env, Format($"The value of {name} is longer than {MaxItemLength} characters."));
            }
        }
    }

    private static void CheckMounts(IReadOnlyList<MountSpec?> mounts, Action<RunField, string> add)
    {
        if (mounts.Count > MaxMounts)
        {
            add(RunField.Mounts, Format($"Use at most {MaxMounts} mounts."));
        }

        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (MountSpec? mount in mounts)
        {
            if (mount is null)
            {
                add(RunField.Mounts, "A mount is missing (null).");
                continue;
            }

            if (!PathRules.IsMountPath(mount.Source))
            {
                add(RunField.Mounts, NotAMountPath(mount.Source));
            }

            if (MountTargetProblem(mount.Target) is { } problem)
            {
                add(RunField.Mounts, problem);
            }
            else if (!targets.Add(mount.Target))
            {
                add(RunField.Mounts, $"'{mount.Target}' is mounted twice.");
            }
        }
    }

    /// <summary>
    /// Why <paramref name="target"/> cannot be where something is mounted in a container (a job's bind mount, an app
    /// service's bind or volume), or null. A target used twice is the caller's to find: it knows what else is mounted.
    /// </summary>
    public static string? MountTargetProblem(string? target)
    {
        if (!PathRules.IsMountPath(target))
        {
            return NotAMountPath(target);
        }

        if (ForbiddenMountTargets.Any(f => f == "/" ? target == "/" : PathRules.IsUnder(target, f)))
        {
            return $"'{target}' cannot be a mount target in the container.";
        }

        return SessionRules.IsReservedTarget(target)
            ? $"'{target}' is where the launcher puts a session's socket folder and its bridge."
            : null;
    }

    private static string NotAMountPath(string? path) =>
        $"'{Quote(path)}' is not a usable mount path: an absolute path of letters, digits and . _ - @ + without '.', '..' or empty parts or a trailing '/'.";

    private static void CheckGpus(IReadOnlyList<string?> gpus, Action<RunField, string> add)
    {
        if (gpus.Count > MaxGpus)
        {
            add(RunField.Gpus, Format($"Ask for at most {MaxGpus} GPUs."));
        }

        foreach (string? id in gpus.Where(g => !IsGpuId(g)))
        {
            add(RunField.Gpus, $"'{Quote(id)}' is not a GPU id.");
        }

        if (gpus.Distinct(StringComparer.Ordinal).Count() != gpus.Count)
        {
            add(RunField.Gpus, "A GPU is listed twice.");
        }
    }

    private static string Quote(string? text) => UntrustedText.Printable(text);

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
