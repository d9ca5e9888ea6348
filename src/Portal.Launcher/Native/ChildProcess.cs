using System.Text;
using Tmds.Linux;
using static Portal.Launcher.Native.Glibc;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>
/// Starting a child and collecting it: posix_spawn with exactly descriptors 0-2, every signal at its default and none
/// blocked, a working directory and an environment built by the caller; its pipes drained; waitpid.
/// </summary>
/// <remarks>
/// Bench: bench/launcher, target launcher/bare podman &lt;= 1.10 and start-to-exec &lt;= 10 ms. posix_spawn and poll
/// instead of System.Diagnostics.Process (its SIGCHLD thread, thread-pool readers and terminal handling): the binary
/// 4.06 → 3.58 MB, the run path's time after podman exits about 6 → 3.5 ms (bench/launcher/README.md, 2026-11-30).
/// </remarks>
internal static unsafe class ChildProcess
{
    /// <summary>Starts <paramref name="command"/> with <paramref name="stdin"/>, <paramref name="stdout"/> and
    /// <paramref name="stderr"/> as its 0-2; every other descriptor of the launcher is close-on-exec.</summary>
    public static int Start(NativeStrings command, int stdin, int stdout, int stderr, string what)
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
            Check(posix_spawn_file_actions_addchdir_np(fileActions, command.WorkingDirectory), what);

            // The runtime ignores SIGPIPE and may block signals on this thread: the tool starts with
            // every signal at its default and none blocked, as from a shell.
            _ = sigemptyset(&signals);
            Check(posix_spawnattr_setsigmask(attributes, &signals), what);
            _ = sigfillset(&signals);
            Check(posix_spawnattr_setsigdefault(attributes, &signals), what);
            Check(posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF), what);

            int pid;
            int rc = posix_spawn(&pid, command.Argv[0], fileActions, attributes, command.Argv, command.Envp);
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

    /// <summary>A pipe whose two ends are close-on-exec.</summary>
    public static (int Read, int Write) Pipe(string what)
    {
        int* fds = stackalloc int[2];
        if (pipe2(fds, O_CLOEXEC) != 0)
        {
            throw new IOException($"Could not set up a pipe for {what} (errno {errno}).");
        }

        return (fds[0], fds[1]);
    }

    /// <summary>/dev/null for reading, close-on-exec: a tool's stdin, so it never reads the caller's.</summary>
    public static int NullInput(string what)
    {
        int fd = SafeFiles.WithPath("/dev/null", p => open(p, O_RDONLY | O_CLOEXEC));
        return fd >= 0 ? fd : throw new IOException($"Could not open /dev/null for {what} (errno {errno}).");
    }

    /// <summary>
    /// Reads both pipes until both writers are gone, so neither can fill up and stall the child, keeping at most
    /// <paramref name="maxBytes"/> of each; closes both.
    /// </summary>
    public static (string Stdout, string Stderr) Drain(int stdoutFd, int stderrFd, int maxBytes)
    {
        var sinks = new[] { new MemoryStream(), new MemoryStream() };
        pollfd* fds = stackalloc pollfd[2];
        fds[0] = new pollfd { fd = stdoutFd, events = POLLIN };
        fds[1] = new pollfd { fd = stderrFd, events = POLLIN };
        byte* buffer = stackalloc byte[16384];
        while (fds[0].fd >= 0 || fds[1].fd >= 0)
        {
            if (poll(fds, 2, -1) < 0)
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

                long n = (long)read(fds[i].fd, buffer, 16384);
                if (n > 0)
                {
                    if (sinks[i].Length < maxBytes)
                    {
                        sinks[i].Write(new ReadOnlySpan<byte>(buffer, (int)n));
                    }
                }
                else if (n == 0 || errno != EINTR)
                {
                    _ = close(fds[i].fd);
                    fds[i].fd = -1;
                }
            }
        }

        return (Utf8(sinks[0]), Utf8(sinks[1]));
    }

    /// <summary>Blocks until <paramref name="pid"/> exits and reaps it: its <see cref="ExitCode">exit code</see>.</summary>
    public static int WaitForExit(int pid) => ExitCode(WaitPid(pid, noHang: false)!.Value);

    /// <summary>waitpid(2), retried on EINTR: the raw status, or null when <paramref name="noHang"/> found the child
    /// still running.</summary>
    public static int? WaitPid(int pid, bool noHang)
    {
        int status;
        int rc;
        while ((rc = waitpid(pid, &status, noHang ? WNOHANG : 0)) < 0)
        {
            if (errno != EINTR)
            {
                throw new IOException($"waitpid failed (errno {errno}).");
            }
        }

        return rc == 0 ? null : status;
    }

    /// <summary>The exit code, or 128 + the signal number for a child killed by a signal (as shells report it).</summary>
    public static int ExitCode(int status)
    {
        int signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0)
        {
            throw new IOException($"Could not prepare to start {what} (errno {rc}).");
        }
    }

    private static string Utf8(MemoryStream sink) => Encoding.UTF8.GetString(sink.GetBuffer(), 0, (int)sink.Length);
}
