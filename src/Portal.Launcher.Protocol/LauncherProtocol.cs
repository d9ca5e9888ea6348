namespace Portal.Launcher.Protocol;

/// <summary>Constants shared by the launcher and the portal.</summary>
public static class LauncherProtocol
{
    /// <summary>The request/response format version this build speaks.</summary>
    public const int Version = 1;

    /// <summary>Requests larger than this are refused unread; no legitimate request comes close.</summary>
    public const int MaxRequestBytes = 64 * 1024;

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
    public const string Check = "check";

    public static readonly IReadOnlyList<string> All =
        [Run, Stop, Remove, Release, Inspect, List, Logs, Images, Check];
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
