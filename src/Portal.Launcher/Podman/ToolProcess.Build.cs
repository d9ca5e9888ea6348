using System.Text;
using Portal.Launcher.Native;
using Portal.Launcher.Protocol;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Podman;

/// <summary>How a streamed build ended. <paramref name="ExitCode"/> is null when it was ended: past its deadline
/// (<paramref name="TimedOut"/>) or because the caller hung up.</summary>
internal sealed record BuildOutcome(int? ExitCode, bool TimedOut, string? LastStdoutLine, string? LastStderrLine);

internal static unsafe partial class ToolProcess
{
    /// <summary>The most of one build log line kept; the rest of it is dropped and the line says so.</summary>
    internal const int MaxBuildLineBytes = 64 << 10;

    /// <summary>How long podman build gets after SIGTERM before its process group is killed.</summary>
    private static readonly TimeSpan BuildEndGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs <c>podman build</c> (as the launcher is: the user, after the drop) with its stdout and stderr on two pipes and
    /// writes each line to the caller's stdout as it comes, framed with its stream and the launcher's time of reading
    /// (<see cref="LogFrame"/>). Ends podman's process group when the deadline passes or the caller stops reading.
    /// </summary>
    public static BuildOutcome StreamBuild(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, string workingDirectory, TimeSpan deadline)
    {
        using var strings = new NativeStrings(argv, env, workingDirectory);
        int* stdoutPipe = stackalloc int[2];
        int* stderrPipe = stackalloc int[2];
        int devNull = OpenDevNull();
        if (devNull < 0 || pipe2(stdoutPipe, O_CLOEXEC) != 0 || pipe2(stderrPipe, O_CLOEXEC) != 0)
        {
            throw new IOException($"Could not set up the pipes for {argv[0]} (errno {errno}).");
        }

        int pid = StartChild(strings, devNull, stdoutPipe[1], stderrPipe[1], argv[0], ownGroup: true);
        _ = close(devNull);
        _ = close(stdoutPipe[1]);
        _ = close(stderrPipe[1]);
        using var child = new ChildWatch(pid);
        long until = Environment.TickCount64 + (long)deadline.TotalMilliseconds;
        var framer = new BuildFramer();
        bool finished = Relay(stdoutPipe[0], stderrPipe[0], until, framer, out bool timedOut);
        if (finished && child.WaitUnlessHangUp(1, null, until))
        {
            return new BuildOutcome(child.ExitCode, false, framer.LastLine(0), framer.LastLine(1));
        }

        timedOut |= child.TimedOut;
        child.End(BuildEndGrace);
        return new BuildOutcome(null, timedOut, framer.LastLine(0), framer.LastLine(1));
    }

    /// <summary>Relays both pipes until both end; false when the deadline passed or the caller hung up first.</summary>
    private static bool Relay(int stdoutFd, int stderrFd, long until, BuildFramer framer, out bool timedOut)
    {
        timedOut = false;
        using Stream output = StandardStreams.OpenOutput();
        pollfd* fds = stackalloc pollfd[3];
        fds[0] = new pollfd { fd = stdoutFd, events = POLLIN };
        fds[1] = new pollfd { fd = stderrFd, events = POLLIN };
        fds[2] = new pollfd { fd = 1, events = 0 };
        byte* buffer = stackalloc byte[16384];
        try
        {
            while (fds[0].fd >= 0 || fds[1].fd >= 0)
            {
                int left = (int)Math.Clamp(until - Environment.TickCount64, 0, int.MaxValue);
                if (Glibc.poll(fds, 3, left) < 0)
                {
                    if (errno == EINTR)
                    {
                        continue;
                    }

                    throw new IOException($"poll failed (errno {errno}).");
                }

                if (Environment.TickCount64 >= until)
                {
                    timedOut = true;
                    return false;
                }

                if ((fds[2].revents & (POLLERR | POLLHUP)) != 0)
                {
                    return false;
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
                        framer.Add(i, new ReadOnlySpan<byte>(buffer, (int)n), output);
                    }
                    else if (n == 0 || errno != EINTR)
                    {
                        _ = close(fds[i].fd);
                        fds[i].fd = -1;
                        framer.Close(i, output);
                    }
                }
            }

            return true;
        }
        catch (IOException)
        {
            // The caller's end of stdout went away between poll and write: as a hang-up.
            return false;
        }
        finally
        {
            for (int i = 0; i < 2; i++)
            {
                if (fds[i].fd >= 0)
                {
                    _ = close(fds[i].fd);
                }
            }
        }
    }

    /// <summary>Cuts each pipe's bytes into lines and writes each as a frame at once: a build log has no times of its own
    /// to order by, so the launcher's time of reading is the line's.</summary>
    private sealed class BuildFramer
    {
        private static readonly byte[] CutNote = Encoding.ASCII.GetBytes(" [line cut by the launcher]");
        private readonly MemoryStream[] _partial = [new(), new()];
        private readonly bool[] _cut = new bool[2];
        private readonly string?[] _last = new string?[2];

        public string? LastLine(int stream) => _last[stream];

        public void Add(int stream, ReadOnlySpan<byte> bytes, Stream output)
        {
            MemoryStream partial = _partial[stream];
            while (!bytes.IsEmpty)
            {
                int newline = bytes.IndexOf((byte)'\n');
                ReadOnlySpan<byte> part = newline < 0 ? bytes : bytes[..newline];
                int room = MaxBuildLineBytes - (int)partial.Length;
                partial.Write(part[..Math.Min(room, part.Length)]);
                _cut[stream] |= part.Length > room;
                if (newline < 0)
                {
                    return;
                }

                EndLine(stream, output);
                bytes = bytes[(newline + 1)..];
            }
        }

        public void Close(int stream, Stream output)
        {
            if (_partial[stream].Length > 0 || _cut[stream])
            {
                EndLine(stream, output);
            }
        }

        private void EndLine(int stream, Stream output)
        {
            MemoryStream partial = _partial[stream];
            if (_cut[stream])
            {
                partial.Write(CutNote);
            }

            ReadOnlySpan<byte> text = partial.GetBuffer().AsSpan(0, (int)partial.Length);
            _last[stream] = Encoding.UTF8.GetString(text);
            Write(output, stream == 0 ? LogFrame.StdoutLetter : LogFrame.StderrLetter, text);
            partial.SetLength(0);
            _cut[stream] = false;
        }
    }

    /// <summary>Writes one frame, <c>letter SP time SP text LF</c>, the time now.</summary>
    public static void WriteFrame(Stream output, char letter, ReadOnlySpan<byte> text) => Write(output, letter, text);

    private static void Write(Stream output, char letter, ReadOnlySpan<byte> text)
    {
        byte[] frame = new byte[LogFrame.HeaderLength + text.Length + 1];
        frame[0] = (byte)letter;
        frame[1] = (byte)' ';
        PodmanTime.Format((DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100, frame.AsSpan(2, LogFrame.TimeLength));
        frame[LogFrame.HeaderLength - 1] = (byte)' ';
        text.CopyTo(frame.AsSpan(LogFrame.HeaderLength));
        frame[^1] = (byte)'\n';
        output.Write(frame);
    }
}
