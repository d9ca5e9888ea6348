using System.Runtime.InteropServices;
using System.Text;

// Does nothing but replace itself with argv[1] (no arguments, empty environment).
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
    [LibraryImport("libc", EntryPoint = "execve")]
    public static partial int Execve(byte* path, nint* argv, nint* envp);
}
