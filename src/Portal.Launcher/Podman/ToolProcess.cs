using System.Text;
using Portal.Launcher.Native;
using Tmds.Linux;
using static Portal.Launcher.Native.Glibc;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Podman;

/// <summary>Output of a finished tool run. <paramref name="TimedOut"/>: it passed its deadline and its process group was killed.</summary>
internal sealed record ToolResult(int ExitCode, string Stdout, string Stderr, bool TimedOut = false);

/// <summary>
/// Runs podman (or setfacl) with an argv and an environment built by the launcher: no
/// shell, nothing inherited but stdio (everything else is close-on-exec), stdin from /dev/null.
/// </summary>
/// <remarks>
/// posix_spawn and poll rather than System.Diagnostics.Process: the launcher runs once per request
/// and waits for exactly one child, so Process's SIGCHLD thread, thread-pool readers and terminal
/// handling were start-up cost with no use here. The portal's own helpers run through Process: that
/// is Portal.Core's ExternalCommand, a different thing.
/// Bench: bench/launcher, target launcher/bare podman &lt;= 1.10. Buys about 2.5 ms after podman exits
/// (6 to 3.5 ms) and 0.5 MB of image (4.06 to 3.58 MB), 2026-11-30; Podman/ChildWatch.cs and
/// Native/Glibc/spawn.cs belong to it.
/// </remarks>
internal static unsafe partial class ToolProcess
{
    /// <summary>Cap on what is kept of a tool's output; podman's answers are far smaller.</summary>
    private const int MaxOutputBytes = 16 << 20;

    /// <summary>After a deadline's kill, how long output from processes that left the group may keep the pipes open.</summary>
    private const int DrainAfterKillMs = 2000;

    /// <param name="argv">The program (absolute path) and its arguments.</param>
    /// <param name="env">The whole environment.</param>
    /// <param name="workingDirectory">Its working directory; / when null.</param>
    /// <param name="deadline">
    /// When given, the tool runs in a process group of its own, which is killed (SIGKILL) once the deadline passes:
    /// a podman stuck on a locked database never holds the launcher, and so the portal, for longer.
    /// </param>
    /// <param name="started">Called once the tool runs, before its output is read (the launcher leaves a job's cgroup
    /// there: the tool is in it, and the launcher's own memory and threads should not count against the job).</param>
    /// <param name="asUser">Start the tool as this user for good while the launcher itself stays root
    /// (<see cref="Privileges.SpawnAs"/>); null: as the launcher is.</param>
    public static Task<ToolResult> RunAsync(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string? workingDirectory = null,
        TimeSpan? deadline = null, Action? started = null, UserAccount? asUser = null) =>
        Task.FromResult(Run(argv, env, workingDirectory ?? "/", OpenDevNull(), deadline, started, asUser));

    /// <summary>As <see cref="RunAsync"/> for the launcher's own uid, with <paramref name="input"/> as the tool's stdin
    /// (sbatch reads its batch script there).</summary>
    public static Task<ToolResult> RunWithInputAsync(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workingDirectory,
        ReadOnlySpan<byte> input, TimeSpan? deadline) =>
        Task.FromResult(Run(argv, env, workingDirectory, MemoryInput.Create(input), deadline, started: null, asUser: null));

    // stdin: the tool's stdin, closed here once the tool has it; the other parameters are RunAsync's.
    private static ToolResult Run(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workingDirectory, int stdin,
        TimeSpan? deadline, Action? started, UserAccount? asUser)
    {
        using var strings = new NativeStrings(argv, env, workingDirectory);
        int* stdoutPipe = stackalloc int[2];
        int* stderrPipe = stackalloc int[2];
        if (stdin < 0 || pipe2(stdoutPipe, O_CLOEXEC) != 0 || pipe2(stderrPipe, O_CLOEXEC) != 0)
        {
            throw new IOException($"Could not set up the pipes for {argv[0]} (errno {errno}).");
        }

        int stdoutWriter = stdoutPipe[1], stderrWriter = stderrPipe[1];
        int pid = asUser is null
            ? StartChild(strings, stdin, stdoutWriter, stderrWriter, argv[0], ownGroup: deadline is not null)
            : Privileges.SpawnAs(asUser, () => StartChild(strings, stdin, stdoutWriter, stderrWriter, argv[0], ownGroup: deadline is not null, resetIds: true));
        _ = close(stdin);
        _ = close(stdoutPipe[1]);
        _ = close(stderrPipe[1]);
        started?.Invoke();
        long? until = deadline is { } d ? Environment.TickCount64 + (long)d.TotalMilliseconds : null;
        (string stdout, string stderr, bool timedOut) = ReadBoth(stdoutPipe[0], stderrPipe[0], pid, until);
        return new ToolResult(ChildWatch.WaitForExit(pid), stdout, stderr, timedOut);
    }

    /// <summary>The tool's stdin: it never reads the caller's.</summary>
    private static int OpenDevNull() => SafeFiles.WithPath("/dev/null", p => open(p, O_RDONLY | O_CLOEXEC));

    private static int StartChild(NativeStrings strings, int stdin, int stdout, int stderr, string what, bool ownGroup = false, bool resetIds = false)
    {
        byte* fileActions = stackalloc byte[SPAWN_OPAQUE_BYTES];
        byte* attributes = stackalloc byte[SPAWN_OPAQUE_BYTES];
        sigset_t signals;
        _ = posix_spawn_file_actions_init(fileActions);
        _ = posix_spawnattr_init(attributes);
        try
        {
            // dup2 onto 0-2 clears close-on-exec on the copies; every other descriptor stays closed-on-exec.
            Check(posix_spawn_file_actions_adddup2(fileActions, stdin, 0), what);
            Check(posix_spawn_file_actions_adddup2(fileActions, stdout, 1), what);
            Check(posix_spawn_file_actions_adddup2(fileActions, stderr, 2), what);
            Check(posix_spawn_file_actions_addchdir_np(fileActions, strings.WorkingDirectory), what);

            // The runtime ignores SIGPIPE and may block signals on this thread: the tool starts with
            // every signal at its default and none blocked, as from a shell.
            _ = sigemptyset(&signals);
            Check(posix_spawnattr_setsigmask(attributes, &signals), what);
            _ = sigfillset(&signals);
            Check(posix_spawnattr_setsigdefault(attributes, &signals), what);
            short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
            if (ownGroup)
            {
                // Its own process group (id = its pid): a deadline kills the tool and what it started, and nothing else.
                Check(posix_spawnattr_setpgroup(attributes, 0), what);
                flags |= POSIX_SPAWN_SETPGROUP;
            }

            if (resetIds)
            {
                // The child takes its real ids as effective ones before it execs (see Privileges.SpawnAs).
                flags |= POSIX_SPAWN_RESETIDS;
            }

            Check(posix_spawnattr_setflags(attributes, flags), what);

            int pid;
            int rc = posix_spawn(&pid, strings.Argv[0], fileActions, attributes, strings.Argv, strings.Envp);
            if (rc != 0)
            {
                throw new IOException($"Could not start {what} (errno {rc}).");
            }

            return pid;
        }
        finally
        {
            _ = posix_spawn_file_actions_destroy(fileActions);
            _ = posix_spawnattr_destroy(attributes);
        }
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0)
        {
            throw new IOException($"Could not prepare to start {what} (errno {rc}).");
        }
    }

    /// <summary>
    /// Drains both pipes until both writers are gone, so neither can fill up and stall the tool. Past
    /// <paramref name="until"/> (a tick count) the tool's process group is killed, and the pipes are left after a
    /// short drain even if something that escaped the group still holds them.
    /// </summary>
    private static (string Stdout, string Stderr, bool TimedOut) ReadBoth(int stdoutFd, int stderrFd, int pid, long? until)
    {
        bool killed = false;
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        pollfd* fds = stackalloc pollfd[2];
        fds[0] = new pollfd { fd = stdoutFd, events = POLLIN };
        fds[1] = new pollfd { fd = stderrFd, events = POLLIN };
        byte* buffer = stackalloc byte[16384];
        while (fds[0].fd >= 0 || fds[1].fd >= 0)
        {
            int timeout = until is { } u ? (int)Math.Clamp(u - Environment.TickCount64, 0, int.MaxValue) : -1;
            // Glibc.poll, not Tmds.LibC's: only ours captures errno, and poll returns EINTR whenever the
            // runtime signals this thread (GC suspension); a stale errno there read as a failed run.
            int ready = Glibc.poll(fds, 2, timeout);
            if (ready == 0)
            {
                if (killed)
                {
                    break;
                }

                _ = kill(-pid, SIGKILL);
                killed = true;
                until = Environment.TickCount64 + DrainAfterKillMs;
                continue;
            }

            if (ready < 0)
            {
                if (errno == EINTR)
                {
                    continue;
                }

                throw new IOException($"poll failed (errno {errno}).");
            }

            for (int i = 0; i < 2; i++)
            {
                if (fds[i].fd < 0 || fds[i].revents == 0)
                {
                    continue;
                }

                MemoryStream sink = i == 0 ? stdout : stderr;
                long n = (long)read(fds[i].fd, buffer, 16384);
                if (n > 0)
                {
                    if (sink.Length < MaxOutputBytes)
                    {
                        sink.Write(new ReadOnlySpan<byte>(buffer, (int)n));
                    }
                }
                else if (n == 0 || errno != EINTR)
                {
                    _ = close(fds[i].fd);
                    fds[i].fd = -1;
                }
            }
        }

        for (int i = 0; i < 2; i++)
        {
            if (fds[i].fd >= 0)
            {
                _ = close(fds[i].fd);
            }
        }

        return (Encoding.UTF8.GetString(stdout.GetBuffer(), 0, (int)stdout.Length), Encoding.UTF8.GetString(stderr.GetBuffer(), 0, (int)stderr.Length), killed);
    }

    /// <summary>
    /// Runs a tool on the launcher's own stdin and stdout, a relay: the caller's bytes go straight to it and its answer
    /// straight back, for as long as it runs, with no deadline (a session's WebSocket lasts hours). The end of stdin is
    /// the tool's to see (a half-close); it ends when it exits, or when the caller stops reading its output.
    /// </summary>
    /// <returns>The tool's exit code, or null when the caller hung up first.</returns>
    public static int? Relay(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env)
    {
        using var strings = new NativeStrings(argv, env, "/");
        int pid = StartChild(strings, 0, 1, 2, argv[0], ownGroup: true);
        using var child = new ChildWatch(pid);
        if (child.WaitUnlessHangUp(1, input: null))
        {
            return child.ExitCode;
        }

        child.End(TimeSpan.FromSeconds(2));
        return null;
    }

    /// <summary>
    /// Runs a tool whose output goes straight to the caller (a log stream): the tool writes to the
    /// launcher's own stdout and stderr. Returns its exit code, or null when the caller hung up first:
    /// closed its end of stdout or, with <paramref name="untilStdinCloses"/>, closed stdin.
    /// </summary>
    /// <remarks>
    /// The launcher stays the tool's parent instead of becoming it, to notice the caller leaving. The
    /// portal cannot end the tool with a signal: through sudo the launcher runs as root and then as the
    /// job's owner, never under the portal's uid. Without this a followed log of a quiet job would
    /// live until the job ends.
    /// </remarks>
    /// <param name="argv">The program and its arguments.</param>
    /// <param name="env">The whole environment.</param>
    /// <param name="untilStdinCloses">Also end when the caller closes stdin.</param>
    /// <param name="deadline">When given, the tool is ended (and <paramref name="timedOut"/> set) once it passes.</param>
    /// <param name="timedOut">True when the deadline ended the tool.</param>
    public static int? Stream(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, bool untilStdinCloses, TimeSpan? deadline, out bool timedOut)
    {
        using var strings = new NativeStrings(argv, env, "/");
        int devNull = OpenDevNull();
        if (devNull < 0)
        {
            throw new IOException($"Could not open /dev/null for {argv[0]} (errno {errno}).");
        }

        int pid = StartChild(strings, devNull, 1, 2, argv[0], ownGroup: true);
        _ = close(devNull);
        using var child = new ChildWatch(pid);
        long? until = deadline is { } d ? Environment.TickCount64 + (long)d.TotalMilliseconds : null;
        bool exited = child.WaitUnlessHangUp(1, untilStdinCloses ? 0 : null, until);
        timedOut = child.TimedOut;
        if (exited)
        {
            return child.ExitCode;
        }

        child.End(TimeSpan.FromSeconds(2));
        return null;
    }
}
