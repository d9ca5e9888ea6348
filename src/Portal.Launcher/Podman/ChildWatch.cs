using Portal.Launcher.Native;
using Tmds.Linux;
using static Portal.Launcher.Native.Glibc;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Podman;

/// <summary>
/// Waits for one child process while watching a descriptor for the caller hanging up, and ends the
/// child (SIGTERM, then SIGKILL) when asked. Uses a pidfd, so poll wakes the moment the child exits;
/// on kernels without pidfd_open (before 5.3) it looks every 50 ms instead.
/// </summary>
/// <remarks>The child leads a process group of its own (<see cref="ToolProcess"/> starts it so): ending it signals the
/// whole group, so that podman's re-executed child inside the user namespace ends with it.</remarks>
internal sealed unsafe class ChildWatch(int pid) : IDisposable
{
    private const int PollInterval = 50;
    private readonly int _pidFd = pidfd_open(pid, 0);

    /// <summary>The exit code (128 + signal for a killed child), once it has been reaped.</summary>
    public int? ExitCode { get; private set; }

    /// <summary>True when <see cref="WaitUnlessHangUp"/> returned because its deadline passed.</summary>
    public bool TimedOut { get; private set; }

    /// <summary>
    /// True once the child has exited; false if the caller hung up first: <paramref name="output"/>
    /// reported POLLERR or POLLHUP (no reader left), or <paramref name="input"/>, when given, reached
    /// its end (the caller closed it). Bytes that arrive on the input are read and ignored.
    /// </summary>
    /// <param name="output">The caller's end to watch for a hang-up.</param>
    /// <param name="input">The caller's stdin, when its end means the caller left.</param>
    /// <param name="until">A tick count past which the wait ends (with <see cref="TimedOut"/> set).</param>
    public bool WaitUnlessHangUp(int output, int? input, long? until = null)
    {
        pollfd* fds = stackalloc pollfd[3];
        fds[0] = new pollfd { fd = output, events = 0 };
        fds[1] = new pollfd { fd = _pidFd, events = POLLIN };
        fds[2] = new pollfd { fd = input ?? -1, events = POLLIN };
        byte* discard = stackalloc byte[512];
        while (true)
        {
            // A negative descriptor is skipped by poll: no pidfd means look every PollInterval ms.
            int wait = _pidFd >= 0 ? -1 : PollInterval;
            if (until is { } u)
            {
                int left = (int)Math.Clamp(u - Environment.TickCount64, 0, int.MaxValue);
                wait = wait < 0 ? left : Math.Min(wait, left);
            }

            if (Glibc.poll(fds, 3, wait) < 0)
            {
                if (errno == EINTR)
                {
                    continue;
                }

                throw new IOException($"poll failed (errno {errno}).");
            }

            if (TryReap())
            {
                return true;
            }

            if (until is { } end && Environment.TickCount64 >= end)
            {
                TimedOut = true;
                return false;
            }

            if ((fds[0].revents & (POLLERR | POLLHUP)) != 0)
            {
                return false;
            }

            if (fds[2].revents != 0)
            {
                long read = (long)LibC.read(fds[2].fd, discard, 512);
                if (read == 0 || (read < 0 && errno != EINTR && errno != EAGAIN))
                {
                    return false;
                }
            }
        }
    }

    /// <summary>SIGTERM, SIGKILL after <paramref name="grace"/>, then reaps the child. The launcher runs as the
    /// child's owner by now, so the signals reach it and nothing else: a pid is never signalled once reaped.</summary>
    public void End(TimeSpan grace)
    {
        if (TryReap())
        {
            return;
        }

        _ = kill(-pid, SIGTERM);
        long deadline = Environment.TickCount64 + (long)grace.TotalMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            if (TryReap())
            {
                return;
            }

            pollfd watch = new() { fd = _pidFd, events = POLLIN };
            _ = _pidFd >= 0 ? Glibc.poll(&watch, 1, (int)Math.Max(1, deadline - Environment.TickCount64)) : Glibc.poll(null, 0, PollInterval);
        }

        _ = kill(-pid, SIGKILL);
        Reap(0);
    }

    private bool TryReap() => ExitCode is not null || Reap(WNOHANG);

    private bool Reap(int options)
    {
        int? status = WaitPid(pid, options);
        if (status is null)
        {
            return false;
        }

        ExitCode = Decode(status.Value);
        return true;
    }

    /// <summary>Blocks until <paramref name="pid"/> exits and reaps it: its exit code, as <see cref="Decode"/> reports it.</summary>
    public static int WaitForExit(int pid) => Decode(WaitPid(pid, 0)!.Value);

    /// <summary>waitpid(2), retried on EINTR: the raw status, or null when WNOHANG found the child still running.</summary>
    private static int? WaitPid(int pid, int options)
    {
        int status;
        int rc;
        while ((rc = waitpid(pid, &status, options)) < 0)
        {
            if (errno != EINTR)
            {
                throw new IOException($"waitpid failed (errno {errno}).");
            }
        }

        return rc == 0 ? null : status;
    }

    /// <summary>The exit code, or 128 + the signal number for a child killed by a signal (as shells report it).</summary>
    public static int Decode(int status)
    {
        int signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }

    public void Dispose()
    {
        if (_pidFd >= 0)
        {
            _ = close(_pidFd);
        }
    }
}
