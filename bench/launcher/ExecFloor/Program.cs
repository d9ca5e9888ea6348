using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

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
            _ = Native.Write(1, p, line.Length);
        }
    }

    return 0;
}

unsafe
{
    byte[] path = Encoding.UTF8.GetBytes(args[0] + "\0");
    fixed (byte* p = path)
    {
        nint* argv = stackalloc nint[2] { (nint)p, 0 };
        nint* envp = stackalloc nint[1] { 0 };
        _ = Native.Execve(p, argv, envp);
    }
}

return 127;

internal static unsafe partial class Native
{
    [LibraryImport("libc", EntryPoint = "write")]
    public static partial nint Write(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "execve")]
    public static partial int Execve(byte* path, nint* argv, nint* envp);
}
