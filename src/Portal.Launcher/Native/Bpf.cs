using System.Runtime.InteropServices;
using System.Text;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>
/// bpf(2) for cgroup v2 device control: load a BPF_PROG_TYPE_CGROUP_DEVICE program and attach it to a cgroup with
/// BPF_F_ALLOW_MULTI, so that it runs beside (never instead of) any program above or below it, and every one of
/// them must allow an access. glibc has no wrapper; the attribute layouts are linux/bpf.h's union bpf_attr.
/// </summary>
internal static unsafe partial class Bpf
{
    private const int ProgLoad = 5;          // BPF_PROG_LOAD
    private const int ProgAttach = 8;        // BPF_PROG_ATTACH
    private const int ProgTypeCgroupDevice = 15; // BPF_PROG_TYPE_CGROUP_DEVICE
    private const int AttachCgroupDevice = 6;    // BPF_CGROUP_DEVICE
    private const int AllowMulti = 2;            // BPF_F_ALLOW_MULTI
    private const int AttrSize = 128;

    /// <summary>Loads <paramref name="program"/> and attaches it to the cgroup directory <paramref name="cgroupDir"/>.</summary>
    public static void AttachDeviceProgram(string cgroupDir, byte[] program)
    {
        int cgroup = SafeFiles.WithPath(cgroupDir, p => open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (cgroup < 0)
        {
            throw new CgroupException($"{cgroupDir}: cannot open (errno {errno}).");
        }

        int prog = -1;
        try
        {
            prog = Load(program);
            byte* attr = stackalloc byte[AttrSize];
            new Span<byte>(attr, AttrSize).Clear();
            *(uint*)(attr + 0) = (uint)cgroup;   // target_fd
            *(uint*)(attr + 4) = (uint)prog;     // attach_bpf_fd
            *(uint*)(attr + 8) = AttachCgroupDevice;
            *(uint*)(attr + 12) = AllowMulti;
            if (Call(ProgAttach, attr) < 0)
            {
                throw new CgroupException($"attaching the device program to {cgroupDir} failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            // The attachment holds the program; the descriptors are no longer needed.
            if (prog >= 0)
            {
                _ = close(prog);
            }

            _ = close(cgroup);
        }
    }

    private static int Load(byte[] program)
    {
        byte[] license = Encoding.ASCII.GetBytes("Apache-2.0\0");
        byte* attr = stackalloc byte[AttrSize];
        new Span<byte>(attr, AttrSize).Clear();
        fixed (byte* insns = program)
        fixed (byte* lic = license)
        {
            *(uint*)(attr + 0) = ProgTypeCgroupDevice;                                  // prog_type
            *(uint*)(attr + 4) = (uint)(program.Length / Cgroups.DeviceProgram.InstructionSize); // insn_cnt
            *(ulong*)(attr + 8) = (ulong)insns;                                         // insns
            *(ulong*)(attr + 16) = (ulong)lic;                                          // license
            int fd = (int)Call(ProgLoad, attr);
            if (fd < 0)
            {
                throw new CgroupException($"loading the device program failed (errno {Marshal.GetLastPInvokeError()}).");
            }

            return fd;
        }
    }

    private static long Call(int command, byte* attr) => Syscall(SyscallNumber, command, attr, AttrSize);

    /// <summary>__NR_bpf: 321 on x86-64, 280 on arm64 (the generic table).</summary>
    private static long SyscallNumber => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 321 : 280;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long command, byte* attr, long size);
}
