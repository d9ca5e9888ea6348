using Portal.Launcher.Native;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Podman;

/// <summary>Output of a finished tool run.</summary>
internal sealed record ToolOutput(int ExitCode, string Stdout, string Stderr);

/// <summary>
/// Runs podman (or setfacl) with an argv and an environment built by the launcher: no shell, nothing inherited but
/// stdio (everything else is close-on-exec), stdin from /dev/null. A different thing from the portal's
/// <c>Portal.Core.Processes.ToolProcess</c>: this one spawns with posix_spawn (<see cref="ChildProcess"/>), with an
/// exact environment, in the root-then-user launcher; the portal's runs its helpers through System.Diagnostics.Process.
/// </summary>
internal static class ToolSpawn
{
    /// <summary>Cap on what is kept of a tool's output; podman's answers are far smaller.</summary>
    private const int MaxOutputBytes = 16 << 20;

    public static Task<ToolOutput> RunAsync(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string? workingDirectory = null) =>
        Task.FromResult(Run(argv, env, workingDirectory ?? "/"));

    private static ToolOutput Run(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workingDirectory)
    {
        using var command = new NativeStrings(argv, env, workingDirectory);
        int stdin = ChildProcess.NullInput(argv[0]);
        (int stdoutRead, int stdoutWrite) = ChildProcess.Pipe(argv[0]);
        (int stderrRead, int stderrWrite) = ChildProcess.Pipe(argv[0]);
        int pid = ChildProcess.Start(command, stdin, stdoutWrite, stderrWrite, argv[0]);
        _ = close(stdin);
        _ = close(stdoutWrite);
        _ = close(stderrWrite);
        (string stdout, string stderr) = ChildProcess.Drain(stdoutRead, stderrRead, MaxOutputBytes);
        return new ToolOutput(ChildProcess.WaitForExit(pid), stdout, stderr);
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
        using var command = new NativeStrings(argv, env, "/");
        int stdin = ChildProcess.NullInput(argv[0]);
        int pid = ChildProcess.Start(command, stdin, 1, 2, argv[0]);
        _ = close(stdin);
        using var child = new ChildWatch(pid);
        if (child.WaitUnlessHangUp(1, untilStdinCloses ? 0 : null))
        {
            return child.ExitCode;
        }

        child.End(TimeSpan.FromSeconds(2));
        return null;
    }
}
