using Portal.Launcher.Native;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Podman;

internal static unsafe partial class ToolProcess
{
    /// <summary>
    /// Runs <c>podman logs --timestamps</c> with its stdout and stderr on two pipes of the launcher's and writes the
    /// container's two streams to the caller's stdout as one, in podman's time order, each line framed with its stream
    /// (<see cref="LogMerger"/>). Returns podman's exit code, or null when the caller hung up first, as
    /// <see cref="Stream"/> does.
    /// </summary>
    /// <remarks>podman's own complaints (no such container) come on its stderr with no time: they go to the caller's
    /// stderr unframed, as before, and podman's exit code says the read failed.</remarks>
    /// <param name="argv">podman logs with <c>--timestamps</c>.</param>
    /// <param name="env">The whole environment.</param>
    /// <param name="untilStdinCloses">Also end when the caller closes stdin.</param>
    /// <param name="deadline">When given, podman is ended (and <paramref name="timedOut"/> set) once it passes.</param>
    /// <param name="holdBack">Following a live job: how long a line waits for a possibly earlier line on the other
    /// stream; null when podman reads a finished log and ends (then a line waits until the other stream has a later one
    /// or has ended).</param>
    /// <param name="timedOut">True when the deadline ended podman.</param>
    public static int? StreamLog(IReadOnlyList<string> argv, IReadOnlyDictionary<string, string> env, bool untilStdinCloses, TimeSpan? deadline,
        TimeSpan? holdBack, out bool timedOut)
    {
        using var strings = new NativeStrings(argv, env, "/");
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
        long? until = deadline is { } d ? Environment.TickCount64 + (long)d.TotalMilliseconds : null;
        if (Merge(stdoutPipe[0], stderrPipe[0], untilStdinCloses, until, holdBack, out timedOut)
            && child.WaitUnlessHangUp(1, untilStdinCloses ? 0 : null, until))
        {
            return child.ExitCode;
        }

        timedOut |= child.TimedOut;
        child.End(TimeSpan.FromSeconds(2));
        return null;
    }

    /// <summary>Reads both pipes into the merger until both end; false when the caller hung up or the deadline passed
    /// first (<paramref name="timedOut"/> then says which).</summary>
    private static bool Merge(int stdoutFd, int stderrFd, bool untilStdinCloses, long? until, TimeSpan? holdBack, out bool timedOut)
    {
        timedOut = false;
        using Stream output = StandardStreams.OpenOutput();
        using Stream errors = StandardStreams.OpenError();
        var merger = new LogMerger(holdBack, errors);
        pollfd* fds = stackalloc pollfd[4];
        fds[0] = new pollfd { fd = stdoutFd, events = POLLIN };
        fds[1] = new pollfd { fd = stderrFd, events = POLLIN };
        // The caller's stdout: POLLERR/POLLHUP once no one reads it. Its stdin: its end is the caller leaving.
        fds[2] = new pollfd { fd = 1, events = 0 };
        fds[3] = new pollfd { fd = untilStdinCloses ? 0 : -1, events = POLLIN };
        byte* buffer = stackalloc byte[16384];
        try
        {
            while (fds[0].fd >= 0 || fds[1].fd >= 0)
            {
                long now = Environment.TickCount64;
                int wait = merger.DueIn(now);
                if (until is { } u)
                {
                    int left = (int)Math.Clamp(u - now, 0, int.MaxValue);
                    wait = wait < 0 ? left : Math.Min(wait, left);
                }

                // Glibc.poll: it captures errno (see ReadBoth).
                if (Glibc.poll(fds, 4, wait) < 0)
                {
                    if (errno == EINTR)
                    {
                        continue;
                    }

                    throw new IOException($"poll failed (errno {errno}).");
                }

                now = Environment.TickCount64;
                if (until is { } end && now >= end)
                {
                    timedOut = true;
                    return false;
                }

                if ((fds[2].revents & (POLLERR | POLLHUP)) != 0)
                {
                    return false;
                }

                if (fds[3].revents != 0)
                {
                    long n = (long)read(fds[3].fd, buffer, 512);
                    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
                    {
                        return false;
                    }
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
                        merger.Add(i, new ReadOnlySpan<byte>(buffer, (int)n), now);
                    }
                    else if (n == 0 || errno != EINTR)
                    {
                        _ = close(fds[i].fd);
                        fds[i].fd = -1;
                        merger.Close(i, now);
                    }
                }

                merger.TakeReady(now, output);
            }

            return true;
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
}
