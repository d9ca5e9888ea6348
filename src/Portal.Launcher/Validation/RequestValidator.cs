using System.Globalization;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Validation;

/// <summary>
/// Everything that can be decided from the request and the policy alone, before any user lookup
/// or file system access. Throws <see cref="RequestRefusedException"/> with the first problem.
/// The shape of a run section is <see cref="RunRules"/>'s, the same code the portal checks jobs
/// with at submit; only what the policy decides is checked here alone.
/// </summary>
internal static class RequestValidator
{
    public const int MaxStopSeconds = 3600;
    public const int MaxLogTail = 1_000_000;

    public static void Validate(LauncherRequest r, LauncherPolicy policy)
    {
        if (r.Version != LauncherProtocol.Version)
        {
            Refuse($"Unsupported request version {r.Version}; this launcher speaks version {LauncherProtocol.Version}.");
        }

        if (!LauncherVerbs.All.Contains(r.Verb))
        {
            Refuse($"Unknown verb '{UntrustedText.Printable(r.Verb)}'.");
        }

        bool slurmVerb = Slurm.SlurmRequestRules.IsSlurmVerb(r.Verb);
        bool needsJob = slurmVerb || r.Verb is LauncherVerbs.Run or LauncherVerbs.Stop or LauncherVerbs.Remove
            or LauncherVerbs.Release or LauncherVerbs.Inspect or LauncherVerbs.Logs || LauncherVerbs.AppVerbs.Contains(r.Verb);
        // slurm-submit takes a job's run section or an app's section, never both.
        bool submitsApp = r.Verb == LauncherVerbs.SlurmSubmit && r.App is not null;
        CheckSection(r.Run is not null, r.Verb is LauncherVerbs.Run || (r.Verb == LauncherVerbs.SlurmSubmit && !submitsApp), "run", r.Verb);
        CheckSection(r.Stop is not null, r.Verb is LauncherVerbs.Stop or LauncherVerbs.Remove or LauncherVerbs.AppStop or LauncherVerbs.AppRemove, "stop", r.Verb, optional: true);
        CheckSection(r.Logs is not null, r.Verb is LauncherVerbs.Logs or LauncherVerbs.AppLogs or LauncherVerbs.SlurmLog, "logs", r.Verb, optional: r.Verb != LauncherVerbs.AppLogs);
        CheckSection(r.Slurm is not null, slurmVerb, "slurm", r.Verb);
        CheckSection(r.App is not null, r.Verb == LauncherVerbs.AppUp || submitsApp, "app", r.Verb);
        CheckSection(r.Authenticate is not null, r.Verb == LauncherVerbs.Authenticate, "authenticate", r.Verb);
        CheckSection(r.Image is not null, r.Verb is LauncherVerbs.ImagePull or LauncherVerbs.ImageRemove, "image", r.Verb);
        CheckSection(r.Build is not null, r.Verb == LauncherVerbs.ImageBuild, "build", r.Verb);
        CheckSection(r.Process is not null, r.Verb == LauncherVerbs.KillGpuProcess, "process", r.Verb);
        if (r.Logs?.Service is not null ? r.Verb is not (LauncherVerbs.AppLogs or LauncherVerbs.SlurmLog) : r.Verb == LauncherVerbs.AppLogs)
        {
            Refuse("logs.service names the service of an app-logs request (or of a slurm-log request for an app), and only there.");
        }

        // check without a user reports host facts only.
        if (r.Verb == LauncherVerbs.DriverPolicy)
        {
            if (r.User is not null)
            {
                Refuse($"'{r.Verb}' takes no user.");
            }
        }
        else if (!(r.Verb == LauncherVerbs.Check && r.User is null) && LinuxUserName.Validate(r.User) is { } userProblem)
        {
            Refuse(userProblem);
        }

        if (needsJob && JobKeys.Validate(r.Job) is { } jobProblem)
        {
            Refuse(jobProblem);
        }
        else if (!needsJob && r.Job is not null)
        {
            Refuse($"'{r.Verb}' takes no job.");
        }

        if (r.Stop is { } stop && (stop.TimeoutSeconds < 0 || stop.TimeoutSeconds > MaxStopSeconds))
        {
            Refuse($"stop.timeoutSeconds must be between 0 and {MaxStopSeconds}.");
        }

        if (r.Logs is { } logs && (logs.Tail is < 0 or > MaxLogTail))
        {
            Refuse($"logs.tail must be between 0 and {MaxLogTail}.");
        }

        if (r.Logs is { UntilStdinCloses: true, Follow: false })
        {
            Refuse("logs.untilStdinCloses needs logs.follow: a stream that is not followed ends on its own.");
        }

        if (r.Run is { } run)
        {
            ValidateRun(run, policy, hostLimits: r.Verb == LauncherVerbs.Run);
        }

        // Each service first, then (for Slurm) the app as one job.
        if (r.App is { } app)
        {
            AppValidator.Validate(app, policy, onSlurm: submitsApp);
        }

        if (r.Logs?.Service is { } service && !AppRules.IsServiceName(service))
        {
            Refuse($"'{UntrustedText.Printable(service)}' is not a service name.");
        }

        Slurm.SlurmRequestRules.Validate(r, policy);

        if (r.Image is { } image && (r.Verb == LauncherVerbs.ImagePull
            ? ImageRules.PullProblem(image.Reference, policy.Registries.Select(g => g.Host))
            : ImageRules.RemoveProblem(image.Reference)) is { } imageProblem)
        {
            Refuse(imageProblem);
        }

        // The shape only: which roots hold the folder depends on the user's home, checked on the file system as the user.
        if (r.Build is { } build && ImageBuildRules.Check(build, roots: null) is [var buildProblem, ..])
        {
            Refuse(buildProblem.Message);
        }

        if (r.Authenticate is { } authenticate)
        {
            ValidateAuthenticate(authenticate);
        }

        if (r.Process is { } process)
        {
            ValidateProcess(process, policy);
        }
    }

    /// <summary>The shape of a kill-gpu-process request; whether the process is the one named is proven on the host.</summary>
    private static void ValidateProcess(ProcessSpec process, LauncherPolicy policy)
    {
        if (!policy.KillGpuProcesses)
        {
            Refuse("The launcher policy does not allow kill-gpu-process (killGpuProcesses is false).");
        }

        // pid 1 is init (or a container's), never a stray GPU process; 4194304 is the kernel's PID_MAX_LIMIT.
        if (process.Pid is < 2 or > 4_194_304)
        {
            Refuse("process.pid must be between 2 and 4194304.");
        }

        if (process.StartTime == 0)
        {
            Refuse("process.startTime must be the process's start time in clock ticks (field 22 of /proc/<pid>/stat).");
        }

        if (process.Uid == 0 || process.Uid < policy.MinUid)
        {
            Refuse($"process.uid {process.Uid} is root or below the policy minimum {policy.MinUid} (a system account).");
        }
    }

    private static void ValidateAuthenticate(AuthenticateSpec spec)
    {
        // PAM takes a C string: an empty password or one with NUL could only be a probe (or pam_unix's nullok).
        if (spec.Password.Utf8.IsEmpty || spec.Password.Utf8.Length > AuthenticateSpec.MaxPasswordBytes || spec.Password.Utf8.Contains((byte)0))
        {
            Refuse($"The password must be 1 to {AuthenticateSpec.MaxPasswordBytes} bytes without NUL.");
        }

        if (spec.RemoteAddress is { } address && (address.Length > 64 || !System.Net.IPAddress.TryParse(address, out _)))
        {
            Refuse($"authenticate.remoteAddress '{UntrustedText.Printable(address)}' is not an IP address.");
        }
    }

    /// <summary>A run section, a job's or an app service's: its shape by <see cref="RunRules"/>, then what the policy decides.</summary>
    /// <param name="run">The container.</param>
    /// <param name="policy">The policy.</param>
    /// <param name="hostLimits">CPUs, memory and the session section are checked against this host (a container
    /// here); a Slurm job's limits are Slurm's, on whichever node it lands, and its session is the policy's slurm
    /// section's (<see cref="Slurm.SlurmRequestRules"/>).</param>
    internal static void ValidateRun(RunSpec run, LauncherPolicy policy, bool hostLimits = true)
    {
        if (RunRules.Check(run) is [var first, ..])
        {
            Refuse(first.Message);
        }

        foreach (string gpu in run.Gpus ?? [])
        {
            if (!policy.Gpus.Any(g => string.Equals(g.Id, gpu, StringComparison.Ordinal)))
            {
                Refuse($"GPU '{gpu}' is not listed in the launcher policy.");
            }
        }

        double maxCpus = policy.MaxCpus ?? Environment.ProcessorCount;
        if (hostLimits && run.Cpus > maxCpus)
        {
            Refuse($"cpus must be between {RunRules.MinCpus.ToString(CultureInfo.InvariantCulture)} and {FormatCpus(maxCpus)}.");
        }

        long maxMemory = policy.MaxMemoryMiB ?? RunRules.MaxMemoryMiB;
        if (hostLimits && run.MemoryMiB > maxMemory)
        {
            Refuse($"memoryMiB must be between {RunRules.MinMemoryMiB} and {maxMemory}.");
        }

        if (hostLimits && run.Session is { } session)
        {
            // The session section's shape is RunRules' (SessionRules); whether this box runs sessions is the policy's.
            if (policy.Sessions is null)
            {
                Refuse("This box runs no interactive sessions: the launcher policy has no 'sessions' section.");
            }

            if (session.BridgePort is not null && policy.Sessions.Bridge is null)
            {
                Refuse("This box serves no apps that listen on TCP: the launcher policy names no sessions.bridge.");
            }
        }
    }

    /// <summary>Two decimals are as fine as anyone asks for, and keep the argv free of exponents.</summary>
    public static string FormatCpus(double cpus) => cpus.ToString("0.##", CultureInfo.InvariantCulture);

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
