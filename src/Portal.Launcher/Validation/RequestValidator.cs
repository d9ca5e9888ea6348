using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Validation;

/// <summary>
/// Everything that can be decided from the request and the policy alone, before any user lookup
/// or file system access. Throws <see cref="RequestRefusedException"/> with the first problem.
/// </summary>
internal static class RequestValidator
{
    public const int MaxJobIdLength = 64;
    public const int MaxCommandItems = 256;
    public const int MaxArgLength = 8192;
    public const int MaxEnv = 128;

    /// <summary>Variables the launcher sets itself so the job sees exactly its GPUs.</summary>
    public static readonly IReadOnlySet<string> ReservedEnv = new HashSet<string>(StringComparer.Ordinal)
    {
        "CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "NVIDIA_DRIVER_CAPABILITIES", "NVIDIA_REQUIRE_CUDA",
        "NVIDIA_DISABLE_REQUIRE", "NVIDIA_MIG_CONFIG_DEVICES", "NVIDIA_MIG_MONITOR_DEVICES", "ROCR_VISIBLE_DEVICES",
        "HIP_VISIBLE_DEVICES", "GPU_DEVICE_ORDINAL",
    };

    // Podman options that never belong in a job's argv. They are harmless there (the argv follows
    // the image), but a request carrying them is someone probing, so it is refused and audited.
    private static readonly string[] s_smuggledOptions =
    [
        "--privileged", "--cap-add", "--security-opt", "--userns", "--cgroupns", "--pid=host", "--ipc=host",
        "--uts=host", "--network=host", "--net=host", "--volume", "--group-add", "--device-cgroup-rule",
        "--runtime", "--storage-opt",
    ];

    public static void Validate(LauncherRequest r, LauncherPolicy policy)
    {
        if (r.Version != LauncherProtocol.Version)
        {
            Refuse($"Unsupported request version {r.Version}; this launcher speaks version {LauncherProtocol.Version}.");
        }

        if (!LauncherVerbs.All.Contains(r.Verb))
        {
            Refuse($"Unknown verb '{Printable(r.Verb)}'.");
        }

        bool slurmVerb = Slurm.SlurmRequestRules.IsSlurmVerb(r.Verb);
        bool needsJob = slurmVerb || r.Verb is LauncherVerbs.Run or LauncherVerbs.Stop or LauncherVerbs.Remove
            or LauncherVerbs.Release or LauncherVerbs.Inspect or LauncherVerbs.Logs;
        CheckSection(r.Run is not null, r.Verb is LauncherVerbs.Run or LauncherVerbs.SlurmSubmit, "run", r.Verb);
        CheckSection(r.Stop is not null, r.Verb is LauncherVerbs.Stop or LauncherVerbs.Remove, "stop", r.Verb, optional: true);
        CheckSection(r.Logs is not null, r.Verb is LauncherVerbs.Logs or LauncherVerbs.SlurmLog, "logs", r.Verb, optional: true);
        CheckSection(r.Slurm is not null, slurmVerb, "slurm", r.Verb);

        if (r.Verb == LauncherVerbs.Check && r.User is null)
        {
            // check without a user reports host facts only.
        }
        else if (LinuxUserName.Validate(r.User) is { } userProblem)
        {
            Refuse(userProblem);
        }

        if (needsJob)
        {
            ValidateJob(r.Job);
        }
        else if (r.Job is not null)
        {
            Refuse($"'{r.Verb}' takes no job.");
        }

        if (r.Stop is { } stop && (stop.TimeoutSeconds < 0 || stop.TimeoutSeconds > 3600))
        {
            Refuse("stop.timeoutSeconds must be between 0 and 3600.");
        }

        if (r.Logs is { } logs && (logs.Tail is < 0 or > 1_000_000))
        {
            Refuse("logs.tail must be between 0 and 1000000.");
        }

        if (r.Logs is { UntilStdinCloses: true, Follow: false })
        {
            Refuse("logs.untilStdinCloses needs logs.follow: a stream that is not followed ends on its own.");
        }

        if (r.Run is { } run)
        {
            ValidateRun(run, policy, hostLimits: r.Verb == LauncherVerbs.Run);
        }

        Slurm.SlurmRequestRules.Validate(r, policy);
    }

    public static void ValidateJob(string? job)
    {
        if (string.IsNullOrEmpty(job) || job.Length > MaxJobIdLength || job[0] == '-'
            || !job.All(c => char.IsAsciiDigit(c) || char.IsAsciiLetterLower(c) || c == '-'))
        {
            Refuse($"The job id must be 1 to {MaxJobIdLength} characters of a-z, 0-9 and '-', not starting with '-'.");
        }
    }

    /// <param name="run">The container.</param>
    /// <param name="policy">The policy.</param>
    /// <param name="hostLimits">CPUs and memory are checked against this host (a run here); a Slurm job's are Slurm's.</param>
    private static void ValidateRun(RunSpec run, LauncherPolicy policy, bool hostLimits)
    {
        ValidateImage(run.Image);

        IReadOnlyList<string> command = run.Command ?? [];
        if (command.Count > MaxCommandItems)
        {
            Refuse($"The command has more than {MaxCommandItems} items.");
        }

        foreach (string arg in command)
        {
            if (arg.Length > MaxArgLength || arg.Contains('\0', StringComparison.Ordinal))
            {
                Refuse("A command item is too long or contains NUL.");
            }

            if (s_smuggledOptions.Any(o => arg.StartsWith(o, StringComparison.Ordinal)))
            {
                Refuse($"The command carries the podman option '{Printable(arg)}'; container options are set by the launcher only.");
            }
        }

        IReadOnlyDictionary<string, string> env = run.Env ?? new Dictionary<string, string>();
        if (env.Count > MaxEnv)
        {
            Refuse($"More than {MaxEnv} environment variables.");
        }

        foreach ((string name, string value) in env)
        {
            if (!IsEnvName(name))
            {
                Refuse($"Environment variable name '{Printable(name)}' is not [A-Za-z_][A-Za-z0-9_]*.");
            }

            if (ReservedEnv.Contains(name))
            {
                Refuse($"Environment variable {name} is set by the launcher from the GPUs allocated.");
            }

            // The value travels through an env file: one line per variable.
            if (value.Length > MaxArgLength || value.AsSpan().IndexOfAny('\0', '\n', '\r') >= 0)
            {
                Refuse($"Environment variable {name} has a value that is too long or contains NUL or a line break.");
            }
        }

        IReadOnlyList<string> gpus = run.Gpus ?? [];
        if (gpus.Distinct(StringComparer.Ordinal).Count() != gpus.Count)
        {
            Refuse("A GPU is named twice.");
        }

        foreach (string gpu in gpus)
        {
            if (!policy.Gpus.Any(g => string.Equals(g.Id, gpu, StringComparison.Ordinal)))
            {
                Refuse($"GPU '{Printable(gpu)}' is not listed in the launcher policy.");
            }
        }

        foreach (MountSpec mount in run.Mounts ?? [])
        {
            if (!PathRules.IsCleanAbsolute(mount.Source) || !PathRules.IsCleanAbsolute(mount.Target))
            {
                Refuse($"Mount '{Printable(mount.Source)}' -> '{Printable(mount.Target)}': paths must be clean absolute paths (no '..', no ',' ':' '=').");
            }

            if (mount.Target == "/" || PathRules.IsUnder(mount.Target, "/proc") || PathRules.IsUnder(mount.Target, "/dev") || PathRules.IsUnder(mount.Target, "/sys"))
            {
                Refuse($"Mount target '{mount.Target}' would shadow a system directory.");
            }
        }

        if (run.Workdir is not null && !PathRules.IsCleanAbsolute(run.Workdir))
        {
            Refuse("workdir must be a clean absolute path.");
        }

        if (hostLimits)
        {
            RunLimits.Validate(run, policy);
        }

        if (run.PidsLimit is { } pids && (pids < 1 || pids > policy.Pids.Max))
        {
            Refuse($"pidsLimit must be between 1 and {policy.Pids.Max}.");
        }

        if (run.LogMaxBytes is { } log && (log < 4096 || log > policy.LogBytes.Max))
        {
            Refuse($"logMaxBytes must be between 4096 and {policy.LogBytes.Max}.");
        }
    }

    /// <summary>
    /// A local image reference: [registry/]name[:tag][@digest] in the lowercase-first character set
    /// of the distribution spec. It can never start with '-', so podman never reads it as an option.
    /// </summary>
    public static void ValidateImage(string? image)
    {
        if (string.IsNullOrEmpty(image) || image.Length > 255)
        {
            Refuse("The image reference is empty or longer than 255 characters.");
        }

        if (!(char.IsAsciiLetterLower(image[0]) || char.IsAsciiDigit(image[0])))
        {
            Refuse($"The image reference '{Printable(image)}' must start with a lowercase letter or digit.");
        }

        foreach (char c in image)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '/' or ':' or '@'))
            {
                Refuse($"The image reference '{Printable(image)}' contains '{Printable(c.ToString())}'.");
            }
        }

        if (image.Contains("..", StringComparison.Ordinal) || image.Contains("//", StringComparison.Ordinal) || image.EndsWith('/') || image.EndsWith(':'))
        {
            Refuse($"The image reference '{Printable(image)}' is malformed.");
        }
    }

    public static bool IsEnvName(string name) =>
        name.Length is > 0 and <= 128 && (char.IsAsciiLetter(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');

    /// <summary>Quotes untrusted text for messages and the audit log: ASCII printable only, bounded.</summary>
    public static string Printable(string? s)
    {
        if (s is null)
        {
            return "(null)";
        }

        var sb = new System.Text.StringBuilder();
        foreach (char c in s.Length > 80 ? s[..80] : s)
        {
            sb.Append(c is >= ' ' and <= '~' ? c : '?');
        }

        return s.Length > 80 ? sb + "..." : sb.ToString();
    }

    private static void CheckSection(bool present, bool belongs, string section, string verb, bool optional = false)
    {
        if (present && !belongs)
        {
            Refuse($"'{verb}' does not take a '{section}' section.");
        }

        if (!present && belongs && !optional)
        {
            Refuse($"'{verb}' needs a '{section}' section.");
        }
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Refuse(string message) => throw new RequestRefusedException(message);
}
