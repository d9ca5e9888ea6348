using System.Runtime.InteropServices;
using System.Text;
using Portal.Launcher.Native;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Podman;

/// <summary>Output of a finished tool run.</summary>
internal sealed record ToolResult(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Runs podman (or setfacl, useradd) with an argv and an environment built by the launcher: no
/// shell, nothing inherited but stdio (everything else is close-on-exec), stdin from /dev/null.
/// </summary>
/// <remarks>
/// posix_spawn and poll rather than System.Diagnostics.Process: the launcher runs once per request
/// and waits for exactly one child, so Process's SIGCHLD thread, thread-pool readers and terminal
/// handling were start-up cost with no use here (measured in bench/launcher/README.md).
/// </remarks>
internal static unsafe class ToolProcess
{
    /// <summary>Cap on what is kept of a tool's output; podman's answers are far smaller.</summary>
    private const int MaxOutputBytes = 16 << 20;

    public static Task<ToolResult> RunAsync(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string? workingDirectory = null) =>
        Task.FromResult(Run(argv, env, workingDirectory ?? "/", OpenDevNull()));

    /// <summary>As <see cref="RunAsync(IReadOnlyList{string}, IReadOnlyDictionary{string, string}, string?)"/>, with
    /// <paramref name="input"/> as the tool's stdin (sbatch reads its batch script there).</summary>
    public static Task<ToolResult> RunWithInputAsync(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workingDirectory, ReadOnlySpan<byte> input) =>
        Task.FromResult(Run(argv, env, workingDirectory, MemoryInput.Create(input)));

    /// <param name="argv">The program and its arguments.</param>
    /// <param name="env">The whole environment.</param>
    /// <param name="workingDirectory">Its working directory.</param>
    /// <param name="stdin">The tool's stdin (closed here once the tool has it).</param>
    private static ToolResult Run(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workingDirectory, int stdin)
    {
        using var strings = new NativeStrings(argv, env, workingDirectory);
        int* stdoutPipe = stackalloc int[2];
        int* stderrPipe = stackalloc int[2];
        if (stdin < 0 || Spawn.Pipe2(stdoutPipe, O_CLOEXEC) != 0 || Spawn.Pipe2(stderrPipe, O_CLOEXEC) != 0)
        {
            throw new IOException($"Could not set up the pipes for {argv[0]} (errno {Marshal.GetLastPInvokeError()}).");
        }

        int pid = StartChild(strings, stdin, stdoutPipe[1], stderrPipe[1], argv[0]);
        _ = close(stdin);
        _ = close(stdoutPipe[1]);
        _ = close(stderrPipe[1]);
        (string stdout, string stderr) = ReadBoth(stdoutPipe[0], stderrPipe[0]);
        return new ToolResult(ChildWatch.WaitForExit(pid), stdout, stderr);
    }

    /// <summary>The tool's stdin: it never reads the caller's.</summary>
    private static int OpenDevNull() => SafeFiles.WithPath("/dev/null", p => open(p, O_RDONLY | O_CLOEXEC));

    private static int StartChild(NativeStrings strings, int stdin, int stdout, int stderr, string what)
    {
        byte* fileActions = stackalloc byte[Spawn.OpaqueBytes];
        byte* attributes = stackalloc byte[Spawn.OpaqueBytes];
        byte* signals = stackalloc byte[128];
        _ = Spawn.FileActionsInit(fileActions);
        _ = Spawn.AttrInit(attributes);
        try
        {
            // dup2 onto 0-2 clears close-on-exec on the copies; every other descriptor stays closed-on-exec.
            Check(Spawn.FileActionsAddDup2(fileActions, stdin, 0), what);
            Check(Spawn.FileActionsAddDup2(fileActions, stdout, 1), what);
            Check(Spawn.FileActionsAddDup2(fileActions, stderr, 2), what);
            Check(Spawn.FileActionsAddChdir(fileActions, strings.WorkingDirectory), what);

            // The runtime ignores SIGPIPE and may block signals on this thread: the tool starts with
            // every signal at its default and none blocked, as from a shell.
            _ = Spawn.SigEmptySet(signals);
            Check(Spawn.AttrSetSigMask(attributes, signals), what);
            _ = Spawn.SigFillSet(signals);
            Check(Spawn.AttrSetSigDefault(attributes, signals), what);
            Check(Spawn.AttrSetFlags(attributes, Spawn.SetSigMask | Spawn.SetSigDefault), what);

            int pid;
            int rc = Spawn.PosixSpawn(&pid, strings.Argv[0], fileActions, attributes, strings.Argv, strings.Envp);
            if (rc != 0)
            {
                throw new IOException($"Could not start {what} (errno {rc}).");
            }

            return pid;
        }
        finally
        {
            _ = Spawn.FileActionsDestroy(fileActions);
            _ = Spawn.AttrDestroy(attributes);
        }
    }

    private static void Check(int rc, string what)
    {
        if (rc != 0)
        {
            throw new IOException($"Could not prepare to start {what} (errno {rc}).");
        }
    }

    /// <summary>Drains both pipes until both writers are gone, so neither can fill up and stall the tool.</summary>
    private static (string Stdout, string Stderr) ReadBoth(int stdoutFd, int stderrFd)
    {
        var stdout = new MemoryStream();
        var stderr = new MemoryStream();
        Spawn.PollFd* fds = stackalloc Spawn.PollFd[2];
        fds[0] = new Spawn.PollFd { Fd = stdoutFd, Events = Spawn.PollIn };
        fds[1] = new Spawn.PollFd { Fd = stderrFd, Events = Spawn.PollIn };
        byte* buffer = stackalloc byte[16384];
        while (fds[0].Fd >= 0 || fds[1].Fd >= 0)
        {
            if (Spawn.Poll(fds, 2, -1) < 0)
            {
                int error = Marshal.GetLastPInvokeError();
                if (error == EINTR)
                {
                    continue;
                }

                throw new IOException($"poll failed (errno {error}).");
            }

            for (int i = 0; i < 2; i++)
            {
                if (fds[i].Fd < 0 || fds[i].Revents == 0)
                {
                    continue;
                }

                MemoryStream sink = i == 0 ? stdout : stderr;
                long n = (long)read(fds[i].Fd, buffer, 16384);
                if (n > 0)
                {
                    if (sink.Length < MaxOutputBytes)
                    {
                        sink.Write(new ReadOnlySpan<byte>(buffer, (int)n));
                    }
                }
                else if (n == 0 || errno != EINTR)
                {
                    _ = close(fds[i].Fd);
                    fds[i].Fd = -1;
                }
            }
        }

        return (Encoding.UTF8.GetString(stdout.GetBuffer(), 0, (int)stdout.Length), Encoding.UTF8.GetString(stderr.GetBuffer(), 0, (int)stderr.Length));
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
    public static int? Stream(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, bool untilStdinCloses)
    {
        using var strings = new NativeStrings(argv, env, "/");
        int devNull = OpenDevNull();
        if (devNull < 0)
        {
            throw new IOException($"Could not open /dev/null for {argv[0]} (errno {Marshal.GetLastPInvokeError()}).");
        }

        int pid = StartChild(strings, devNull, 1, 2, argv[0]);
        _ = close(devNull);
        using var child = new ChildWatch(pid);
        if (child.WaitUnlessHangUp(1, untilStdinCloses ? 0 : null))
        {
            return child.ExitCode;
        }

        child.End(TimeSpan.FromSeconds(2));
        return null;
    }
}
