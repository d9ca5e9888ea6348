namespace Portal.Launcher.Protocol;

/// <summary>Constants shared by the launcher and the portal.</summary>
public static class LauncherProtocol
{
    /// <summary>The request/response format version this build speaks.</summary>
    public const int Version = 1;

    /// <summary>Requests larger than this are refused unread; no legitimate request comes close.</summary>
    public const int MaxRequestBytes = 64 * 1024;

    /// <summary>Podman pod name for an app (a job whose containers are the app's services).</summary>
    public static string PodName(string job) => "portal-app-" + job;

    /// <summary>Podman container name for one service of an app.</summary>
    public static string ServiceContainerName(string job, string service) => PodName(job) + "-" + service;

    /// <summary>Podman volume name for one named volume of an app.</summary>
    public static string AppVolumeName(string job, string volume) => PodName(job) + "-" + volume;

    public const string JobLabel = "portal.job";
    public const string OwnerLabel = "portal.owner";

    /// <summary>On an app's pod, containers and volumes instead of <see cref="JobLabel"/>, so that the job verbs never see them.</summary>
    public const string AppLabel = "portal.app";

    /// <summary>The service a container of an app runs.</summary>
    public const string ServiceLabel = "portal.service";

    /// <summary>What <c>slurm-connect</c> prints once the job is proven the user's and running, right before the relay
    /// starts: the caller sends nothing past its request before this line, so no byte meant for the app can be read as
    /// part of the request.</summary>
    public const string ConnectedLine = "portal-launcher: relaying";
}

/// <summary>The verbs the launcher understands.</summary>
public static class LauncherVerbs
{
    public const string Run = "run";
    public const string Stop = "stop";
    public const string Remove = "remove";
    public const string Release = "release";
    public const string Inspect = "inspect";
    public const string List = "list";
    public const string Logs = "logs";
    public const string Images = "images";
    public const string Check = "check";
    public const string Authenticate = "authenticate";

    /// <summary>Creates an app's pod and starts its services in order (request section <c>app</c>).</summary>
    public const string AppUp = "app-up";

    /// <summary>Stops every container of an app's pod at once.</summary>
    public const string AppStop = "app-stop";

    /// <summary>Stops and removes an app's pod, its containers, volumes and hosts file.</summary>
    public const string AppRemove = "app-remove";

    /// <summary>The state of each service of an app.</summary>
    public const string AppInspect = "app-inspect";

    /// <summary>One service's log stream (<c>logs.service</c> names it).</summary>
    public const string AppLogs = "app-logs";

    /// <summary>What ran, as <c>podman kube generate</c> writes it.</summary>
    public const string AppExport = "app-export";

    /// <summary>Submits the job to Slurm (<c>sbatch</c> as the user) with a batch script the launcher writes.</summary>
    public const string SlurmSubmit = "slurm-submit";

    /// <summary>Cancels the user's Slurm job (<c>scancel</c> as the user, after checking the job is theirs).</summary>
    public const string SlurmCancel = "slurm-cancel";

    /// <summary>Streams the Slurm job's output file, read as the user.</summary>
    public const string SlurmLog = "slurm-log";

    /// <summary>Connects to a running Slurm session's app: after checking the job is the user's and running, it prints
    /// <see cref="LauncherProtocol.ConnectedLine"/> and then relays its stdin and stdout, raw, to the app's socket on
    /// the node (<c>srun --overlap</c> into the job, as the user, running the node's sockbridge).</summary>
    public const string SlurmConnect = "slurm-connect";

    /// <summary>Prints the policy file with its <c>driver</c> field made from the loaded NVIDIA driver (raw text on
    /// stdout, for the install to write back); the launcher itself writes nothing.</summary>
    public const string DriverPolicy = "driver-policy";

    /// <summary>Pulls an image into the user's own storage from a registry the policy's <c>registries</c> list allows.</summary>
    public const string ImagePull = "image-pull";

    /// <summary>Removes an image from the user's own storage (never one a container of the user's still uses).</summary>
    public const string ImageRemove = "image-remove";

    /// <summary>Builds an image into the user's own storage from a Containerfile in a folder under the user's mount roots
    /// (request section <c>build</c>); stdout is the build log, framed as <see cref="BuildFrame"/> says.</summary>
    public const string ImageBuild = "image-build";

    /// <summary>Ends a process computing on a GPU outside any allocation (request section <c>process</c>): SIGTERM, then
    /// SIGKILL after the policy's grace, sent as the process's owner through a pidfd, once the pid, start time and owner are
    /// proven to be the ones asked for. Refused unless the policy's <c>killGpuProcesses</c> is true.</summary>
    public const string KillGpuProcess = "kill-gpu-process";

    /// <summary>The verbs whose stdout is raw (a log, a build log, the driver-policy's policy file, a session's bytes), not a JSON result.</summary>
    public static bool Streams(string? verb) => verb is Logs or AppLogs or SlurmLog or SlurmConnect or DriverPolicy or ImageBuild;

    public static readonly IReadOnlyList<string> All =
        [Run, Stop, Remove, Release, Inspect, List, Logs, Images, Check, Authenticate, AppUp, AppStop, AppRemove, AppInspect, AppLogs, AppExport, SlurmSubmit, SlurmCancel, SlurmLog, SlurmConnect, DriverPolicy, ImagePull, ImageRemove, ImageBuild, KillGpuProcess];

    /// <summary>The verbs that act on an app's pod.</summary>
    public static readonly IReadOnlyList<string> AppVerbs = [AppUp, AppStop, AppRemove, AppInspect, AppLogs, AppExport];
}

/// <summary>Launcher exit codes (docs/launcher.md lists them too).</summary>
public static class LauncherExitCodes
{
    /// <summary>Done; stdout holds the result.</summary>
    public const int Ok = 0;

    /// <summary>The request was valid but podman (or another tool) failed; the result says how.</summary>
    public const int OperationFailed = 1;

    /// <summary>The request was refused: malformed, not allowed by the policy, or naming a bad user.</summary>
    public const int Refused = 2;

    /// <summary>The policy file is missing, malformed or unsafe; nothing was attempted.</summary>
    public const int PolicyError = 3;

    /// <summary>Dropping privileges failed or could not be proven; nothing was started.</summary>
    public const int PrivilegeError = 4;

    /// <summary>A bug or an unexpected host state.</summary>
    public const int InternalError = 5;

    /// <summary>
    /// Podman did not finish within the policy's <c>podmanTimeoutSeconds</c> (a locked or broken podman database,
    /// a hung runtime); it and what it started were killed. The result says which call, and carries the job's
    /// <see cref="LauncherResponse.Cgroup"/> where there is one.
    /// </summary>
    public const int ToolTimedOut = 6;
}
