using System.Globalization;
using Portal.Launcher.Native;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Verbs;

/// <summary>
/// <c>kill-gpu-process</c>: ends a process that computes on a GPU outside any allocation, as its owner, and only if it is
/// still exactly the process the portal saw. The order is what makes it safe against a recycled pid (the mistake behind
/// Cockpit's CVE-2024-6126): the pidfd is opened FIRST, so it names one process for good; only then are the start time and
/// the real uid read from /proc and compared with the request. If the process the portal saw ended before the pidfd was
/// opened, the pid now names another process whose start time differs: refused. If it ends after, the pidfd still names
/// the dead one and a signal through it reaches nobody. The launcher then becomes the owner for good and signals through
/// the pidfd: the kernel's own permission check applies, as if the owner had typed kill.
/// </summary>
internal static unsafe class KillGpuProcessVerb
{
    /// <summary>How long to wait for the process to go after SIGKILL before saying it has not (yet).</summary>
    private const int AfterKillMs = 5000;

    public static Task<VerbResult> ExecuteAsync(LaunchContext ctx)
    {
        ProcessSpec spec = ctx.Request.Process!;
        if (!ctx.Privileged)
        {
            // Dev mode acts only as its caller, the portal's own account: never one to kill processes of.
            RequestValidator.Refuse("kill-gpu-process needs the launcher run through sudo; dev mode acts only as the portal's own account.");
        }

        // Never a process of the portal's own account (sudo's SUDO_UID is the caller's, and only ever narrows this).
        if (uint.TryParse(Environment.GetEnvironmentVariable("SUDO_UID"), NumberStyles.None, CultureInfo.InvariantCulture, out uint portalUid)
            && portalUid == spec.Uid)
        {
            RequestValidator.Refuse($"uid {spec.Uid} is the portal's own account.");
        }

        // Root, system accounts, members of privileged groups, accounts outside the policy's group: never.
        UserAccount user = UserResolver.Resolve(ctx.Request.User!, ctx.Policy, null, UserDatabase.FindUser, UserDatabase.FindGroupId);
        if (user.Uid != spec.Uid)
        {
            RequestValidator.Refuse($"'{user.Name}' has uid {user.Uid}, not {spec.Uid}.");
        }

        string what = $"pid {spec.Pid.ToString(CultureInfo.InvariantCulture)} of {user.Name} started at tick {spec.StartTime.ToString(CultureInfo.InvariantCulture)}";
        int pidfd = Glibc.pidfd_open(spec.Pid, 0);
        if (pidfd < 0)
        {
            int error = errno;
            return Task.FromResult(error == ESRCH
                ? Failed(ctx, $"No process {spec.Pid}: it ended before the launcher could name it.")
                : Failed(ctx, $"pidfd_open({spec.Pid}) failed (errno {error}); nothing was signalled."));
        }

        try
        {
            // The pidfd names one process from here on: whatever /proc says now is about it, or about a later process
            // with the same pid whose start time cannot be the one asked for.
            ProcessIdentity found = ProcessIdentity.Read(spec.Pid)
                ?? throw new RequestRefusedException($"Process {spec.Pid} ended before it could be checked; nothing was signalled.");
            if (found.StartTime != spec.StartTime)
            {
                RequestValidator.Refuse($"Process {spec.Pid} started at tick {found.StartTime}, not {spec.StartTime}: the pid now names another process. Nothing was signalled.");
            }

            if (found.RealUid != spec.Uid)
            {
                RequestValidator.Refuse($"Process {spec.Pid} belongs to uid {found.RealUid}, not {spec.Uid}. Nothing was signalled.");
            }

            if (found.InJobCgroup(ctx.Policy.CgroupParent))
            {
                RequestValidator.Refuse($"Process {spec.Pid} is in a job's cgroup: stop the job instead. Nothing was signalled.");
            }

            ctx.Audit.Accepted(what);

            // For good, before the first signal: from here on the launcher can do nothing the owner could not.
            Privileges.DropTo(user);
            var killed = End(pidfd, ctx.Policy.GpuProcessKillGraceSeconds * 1000);
            ctx.Audit.Done($"{what}: {killed.Signal}, {(killed.Exited ? "gone" : "still there")}");
            return Task.FromResult(killed.Exited
                ? VerbResult.Success(new LauncherResponse { Killed = killed })
                : new VerbResult(LauncherExitCodes.OperationFailed, new LauncherResponse
                {
                    Error = $"Process {spec.Pid} did not end within {AfterKillMs / 1000} s of SIGKILL (stuck in the kernel?).",
                    Killed = killed,
                }));
        }
        finally
        {
            _ = close(pidfd);
        }
    }

    /// <summary>SIGTERM; SIGKILL if it is still there after <paramref name="graceMs"/>; then waits for it to go.</summary>
    private static ProcessKill End(int pidfd, int graceMs)
    {
        if (!Signal(pidfd, SIGTERM))
        {
            // ESRCH: it ended between the check and the signal, as the owner's own kill would have found.
            return new ProcessKill { Signal = "SIGTERM", Exited = true };
        }

        if (Exits(pidfd, graceMs))
        {
            return new ProcessKill { Signal = "SIGTERM", Exited = true };
        }

        _ = Signal(pidfd, SIGKILL);
        return new ProcessKill { Signal = "SIGKILL", Exited = Exits(pidfd, AfterKillMs) };
    }

    /// <summary>Sends <paramref name="signal"/> through the pidfd; false when the process is already gone.</summary>
    private static bool Signal(int pidfd, int signal)
    {
        if (Glibc.pidfd_send_signal(pidfd, signal) == 0)
        {
            return true;
        }

        int error = errno;
        return error == ESRCH ? false : throw new IOException($"pidfd_send_signal failed (errno {error}).");
    }

    /// <summary>Whether the process ends within <paramref name="ms"/>: a pidfd becomes readable when it exits.</summary>
    private static bool Exits(int pidfd, int ms)
    {
        long until = Environment.TickCount64 + ms;
        pollfd fd = new() { fd = pidfd, events = POLLIN };
        while (true)
        {
            int left = (int)Math.Max(0, until - Environment.TickCount64);
            int ready = Glibc.poll(&fd, 1, left);
            if (ready > 0)
            {
                return true;
            }

            if (ready == 0)
            {
                return false;
            }

            if (errno != EINTR)
            {
                throw new IOException($"poll on the pidfd failed (errno {errno}).");
            }
        }
    }

    private static VerbResult Failed(LaunchContext ctx, string error)
    {
        ctx.Audit.Failed(error);
        return new VerbResult(LauncherExitCodes.OperationFailed, new LauncherResponse { Error = error });
    }
}
