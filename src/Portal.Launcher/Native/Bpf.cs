using System.Text;
using static Portal.Launcher.Native.Glibc;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>
/// bpf(2) for cgroup v2 device control: load a BPF_PROG_TYPE_CGROUP_DEVICE program and attach it to a cgroup with
/// BPF_F_ALLOW_MULTI, so that it runs beside (never instead of) any program above or below it, and every one of
/// them must allow an access. glibc has no wrapper; the attribute layouts are linux/bpf.h's union bpf_attr.
/// </summary>
internal static unsafe class Bpf
{
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
            *(uint*)(attr + 8) = BPF_CGROUP_DEVICE;       // attach_type
            *(uint*)(attr + 12) = BPF_F_ALLOW_MULTI;      // attach_flags
            if (bpf(BPF_PROG_ATTACH, attr, AttrSize) < 0)
            {
                throw new CgroupException($"attaching the device program to {cgroupDir} failed (errno {errno}).");
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
            *(uint*)(attr + 0) = BPF_PROG_TYPE_CGROUP_DEVICE;                           // prog_type
            *(uint*)(attr + 4) = (uint)(program.Length / Cgroups.DeviceProgram.InstructionSize); // insn_cnt
            *(ulong*)(attr + 8) = (ulong)insns;                                         // insns
            *(ulong*)(attr + 16) = (ulong)lic;                                          // license
            int fd = bpf(BPF_PROG_LOAD, attr, AttrSize);
            if (fd < 0)
            {
                throw new CgroupException($"loading the device program failed (errno {errno}).");
            }

            return fd;
        }
    }
}
