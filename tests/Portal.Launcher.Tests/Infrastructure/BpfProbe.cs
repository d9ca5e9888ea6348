using System.Runtime.InteropServices;

namespace Portal.Launcher.Tests.Infrastructure;

/// <summary>
/// The tests' own bpf(2) calls (as root): which device programs a cgroup has, and detaching them, to prove that the v1
/// devices controller holds without the launcher's BPF program. The launcher itself only loads and attaches.
/// </summary>
public static partial class BpfProbe
{
    private const int ProgDetach = 9;
    private const int ProgGetFdById = 13;
    private const int ProgQuery = 16;
    private const int AttachCgroupDevice = 6;

    /// <summary>The ids of the device programs attached to a cgroup2 directory.</summary>
    public static List<uint> DevicePrograms(string cgroupDir)
    {
        int dir = OpenDirectory(cgroupDir);
        var ids = new uint[64];
        GCHandle pinned = GCHandle.Alloc(ids, GCHandleType.Pinned);
        try
        {
            byte[] attr = new byte[128];
            BitConverter.TryWriteBytes(attr.AsSpan(0), (uint)dir);
            BitConverter.TryWriteBytes(attr.AsSpan(4), (uint)AttachCgroupDevice);
            BitConverter.TryWriteBytes(attr.AsSpan(16), (ulong)pinned.AddrOfPinnedObject());
            BitConverter.TryWriteBytes(attr.AsSpan(24), 64u);
            if (Bpf(ProgQuery, attr) < 0)
            {
                throw new InvalidOperationException($"BPF_PROG_QUERY on {cgroupDir} failed (errno {Marshal.GetLastPInvokeError()}).");
            }

            return [.. ids.Take((int)BitConverter.ToUInt32(attr, 24))];
        }
        finally
        {
            pinned.Free();
            _ = Close(dir);
        }
    }

    /// <summary>Detaches every device program from a cgroup2 directory.</summary>
    public static void DetachAll(string cgroupDir)
    {
        int dir = OpenDirectory(cgroupDir);
        try
        {
            Detach(dir, cgroupDir);
        }
        finally
        {
            _ = Close(dir);
        }
    }

    private static void Detach(int dir, string cgroupDir)
    {
        foreach (uint id in DevicePrograms(cgroupDir))
        {
            byte[] attr = new byte[128];
            BitConverter.TryWriteBytes(attr.AsSpan(0), id);
            long prog = Bpf(ProgGetFdById, attr);
            Assert.True(prog >= 0, $"BPF_PROG_GET_FD_BY_ID {id} failed (errno {Marshal.GetLastPInvokeError()}).");
            try
            {
                attr = new byte[128];
                BitConverter.TryWriteBytes(attr.AsSpan(0), (uint)dir);
                BitConverter.TryWriteBytes(attr.AsSpan(4), (uint)prog);
                BitConverter.TryWriteBytes(attr.AsSpan(8), (uint)AttachCgroupDevice);
                Assert.True(Bpf(ProgDetach, attr) == 0, $"BPF_PROG_DETACH failed (errno {Marshal.GetLastPInvokeError()}).");
            }
            finally
            {
                _ = Close((int)prog);
            }
        }
    }

    /// <summary>open(2) with O_RDONLY | O_DIRECTORY | O_CLOEXEC: .NET's file APIs refuse to open a directory.</summary>
    private static int OpenDirectory(string path)
    {
        // O_DIRECTORY is 0200000 on x86-64 and 040000 on arm64 (the generic value); O_CLOEXEC is 02000000 on both.
        int directory = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 0x10000 : 0x4000;
        int fd = Open(path, directory | 0x80000, 0);
        return fd >= 0 ? fd : throw new InvalidOperationException($"open {path} failed (errno {Marshal.GetLastPInvokeError()}).");
    }

    private static long Bpf(int command, byte[] attr) =>
        Syscall(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 321 : 280, command, attr, attr.Length);

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long command, byte[] attr, long size);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
