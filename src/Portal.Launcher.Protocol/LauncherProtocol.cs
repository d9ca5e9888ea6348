namespace Portal.Launcher.Protocol;

/// <summary>Constants shared by the launcher and the portal.</summary>
public static class LauncherProtocol
{
    /// <summary>The request/response format version this build speaks.</summary>
    public const int Version = 1;

    /// <summary>Requests larger than this are refused unread; no legitimate request comes close.</summary>
    public const int MaxRequestBytes = 64 * 1024;

    /// <summary>Podman container name for a job.</summary>
    public static string ContainerName(string job) => "portal-job-" + job;

    public const string JobLabel = "portal.job";
    public const string OwnerLabel = "portal.owner";
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
    public const string ProvisionUser = "provision-user";
    public const string Check = "check";

    /// <summary>Submits the job to Slurm (<c>sbatch</c> as the user) with a batch script the launcher writes.</summary>
    public const string SlurmSubmit = "slurm-submit";

    /// <summary>Cancels the user's Slurm job (<c>scancel</c> as the user, after checking the job is theirs).</summary>
    public const string SlurmCancel = "slurm-cancel";

    /// <summary>Streams the Slurm job's output file, read as the user.</summary>
    public const string SlurmLog = "slurm-log";

    /// <summary>The verbs whose stdout is a raw stream (a log), not a JSON result.</summary>
    public static bool Streams(string? verb) => verb is Logs or SlurmLog;

    public static readonly IReadOnlyList<string> All =
        [Run, Stop, Remove, Release, Inspect, List, Logs, Images, ProvisionUser, Check, SlurmSubmit, SlurmCancel, SlurmLog];
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
}
