using System.Diagnostics;
using System.Globalization;
using System.Text;
using static Tmds.Linux.LibC;

// Two roles, chosen by the name it runs under (run.sh installs one copy of each):
//   exec-floor PATH    does nothing but replace itself with PATH (no arguments, empty environment):
//                      the least any NativeAOT program pays between its start and an execve.
//   podman-stamp ...   stands in for podman: prints the monotonic clock (Stopwatch ticks, the clock the
//                      benchmark reads before it starts a command) as its "container id" and exits 0.
long now = Stopwatch.GetTimestamp();
if (Environment.GetCommandLineArgs()[0].EndsWith("/podman-stamp", StringComparison.Ordinal))
{
    // write(2) rather than Console, so that the exec floor's image stays as small as before.
    byte[] line = Encoding.ASCII.GetBytes(now.ToString(CultureInfo.InvariantCulture) + "\n");
    unsafe
    {
        fixed (byte* p = line)
        {
            _ = write(1, p, line.Length);
        }
    }

    return 0;
}

unsafe
{
    byte[] path = Encoding.UTF8.GetBytes(args[0] + "\0");
    fixed (byte* p = path)
    {
        byte** argv = stackalloc byte*[2] { p, null };
        byte** envp = stackalloc byte*[1] { null };
        _ = execve(p, argv, envp);
    }
}

return 127;
