using System.Globalization;

namespace Portal.Launcher.Cgroups;

/// <summary>
/// One device a job's processes may open: a character or block device by major and minor number (null = any),
/// with the accesses allowed. The same list drives the v1 devices controller and the v2 BPF device program.
/// </summary>
internal sealed record DeviceRule(char Type, uint? Major, uint? Minor, bool Read = true, bool Write = true, bool Mknod = false)
{
    /// <summary>
    /// What every container needs and nothing more: null, zero, full, random, urandom, tty, console, ptmx and the
    /// pseudo-terminals (runc's default list without its blanket mknod rights, which a rootless job never holds).
    /// </summary>
    public static readonly IReadOnlyList<DeviceRule> Standard =
    [
        Char(1, 3), Char(1, 5), Char(1, 7), Char(1, 8), Char(1, 9),
        Char(5, 0), Char(5, 1), Char(5, 2), Char(136, null),
    ];

    /// <summary>/dev/fuse: fuse-overlayfs, podman's overlay storage on kernels without rootless overlay, runs in the job's cgroup.</summary>
    public static readonly DeviceRule Fuse = Char(10, 229);

    /// <summary>/dev/net/tun: slirp4netns, podman's rootless network, runs in the job's cgroup.</summary>
    public static readonly DeviceRule Tun = Char(10, 200);

    public static DeviceRule Char(uint major, uint? minor) => new('c', major, minor);

    /// <summary>The line for the v1 controller's devices.allow, e.g. "c 195:0 rw".</summary>
    public string ToV1() =>
        $"{Type} {Number(Major)}:{Number(Minor)} {(Read ? "r" : "")}{(Write ? "w" : "")}{(Mknod ? "m" : "")}";

    private static string Number(uint? n) => n?.ToString(CultureInfo.InvariantCulture) ?? "*";
}
