using System.Runtime.InteropServices;
using static Tmds.Linux.LibC;

namespace Portal.Launcher.Native;

/// <summary>&lt;linux/bpf.h&gt;: bpf(2), which glibc does not wrap, through Tmds.LibC's syscall, and the few constants of
/// union bpf_attr the device filter uses.</summary>
internal static unsafe partial class Glibc
{
    public const int BPF_PROG_LOAD = 5;
    public const int BPF_PROG_ATTACH = 8;
    public const int BPF_PROG_TYPE_CGROUP_DEVICE = 15;
    public const int BPF_CGROUP_DEVICE = 6;
    public const int BPF_F_ALLOW_MULTI = 2;

    /// <summary>__NR_bpf: 321 on x86-64, 280 on arm64 (the generic table).</summary>
    public static int SYS_bpf => RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 321 : 280;

    /// <summary>A descriptor (BPF_PROG_LOAD) or 0, or -1 with errno set.</summary>
    public static int bpf(int cmd, void* attr, uint size) => (int)syscall(SYS_bpf, cmd, attr, size);
}
