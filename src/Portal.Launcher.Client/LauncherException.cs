using Portal.Launcher.Protocol;

namespace Portal.Launcher.Client;

/// <summary>Why a launcher call failed, in words a person can act on.</summary>
public enum LauncherFailure
{
    /// <summary>The request was not allowed (bad input, user not permitted, GPU not in the policy).</summary>
    Refused,

    /// <summary>Podman (or setfacl) ran and failed, e.g. no such container.</summary>
    OperationFailed,

    /// <summary>The launcher's policy file is missing or unsafe: an admin must fix the host.</summary>
    PolicyError,

    /// <summary>The privilege drop failed; nothing was started.</summary>
    PrivilegeError,

    /// <summary>sudo refused, the launcher is missing, or it crashed.</summary>
    NotStarted,

    /// <summary>The call ran past its timeout and was ended.</summary>
    TimedOut,

    /// <summary>
    /// Podman did not answer within the launcher policy's deadline and was killed (a locked or broken podman
    /// database). The job may well still run: <see cref="LauncherException.Response"/> carries the kernel's view.
    /// </summary>
    ToolTimedOut,

    /// <summary>Anything else the launcher reported.</summary>
    Internal,
}

/// <summary>A failed launcher call, with the launcher's own message.</summary>
public sealed class LauncherException : Exception
{
    public LauncherException(LauncherFailure failure, string message, int exitCode, string stderr, int? toolExitCode = null, LauncherResponse? response = null)
        : base(message)
    {
        Failure = failure;
        ExitCode = exitCode;
        Stderr = stderr;
        ToolExitCode = toolExitCode;
        Response = response;
    }

    public LauncherException()
        : this(LauncherFailure.Internal, "The launcher failed.", -1, "")
    {
    }

    public LauncherException(string message)
        : this(LauncherFailure.Internal, message, -1, "")
    {
    }

    public LauncherException(string message, Exception innerException)
        : base(message, innerException)
    {
        Stderr = "";
    }

    public LauncherFailure Failure { get; }

    /// <summary>The launcher's exit code (see docs/launcher.md).</summary>
    public int ExitCode { get; }

    /// <summary>Podman's exit code when <see cref="Failure"/> is <see cref="LauncherFailure.OperationFailed"/>.</summary>
    public int? ToolExitCode { get; }

    /// <summary>What the launcher (or sudo) wrote on stderr, trimmed.</summary>
    public string Stderr { get; }

    /// <summary>
    /// The launcher's whole answer, when it gave one: a failed or timed-out <c>inspect</c> still says whether the job's
    /// cgroup holds processes (<see cref="LauncherResponse.Cgroup"/>), a failed <c>list</c> lists the job cgroups.
    /// </summary>
    public LauncherResponse? Response { get; }
}
