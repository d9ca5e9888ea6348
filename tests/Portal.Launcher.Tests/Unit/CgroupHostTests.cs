using Portal.Launcher.Cgroups;

namespace Portal.Launcher.Tests.Unit;

public sealed class CgroupHostTests
{
    private const string Hybrid = """
        30 25 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755
        31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate
        33 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,cpu,cpuacct
        34 30 0:30 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,memory
        35 30 0:31 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,pids
        36 30 0:32 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,devices
        37 30 0:33 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:17 - cgroup cgroup rw,freezer
        38 30 0:34 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,xattr,name=systemd
        """;

    [Fact]
    public void AHybridHost_HasV1ControllersAndTheUnifiedMount_WithCoMountedCpuAndCpuacctOnce()
    {
        CgroupHost host = CgroupHost.Parse(Hybrid);

        Assert.Equal(CgroupMode.Hybrid, host.Mode);
        Assert.Equal("/sys/fs/cgroup/unified", host.Unified);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", host.V1["cpu"]);
        Assert.Equal("/sys/fs/cgroup/cpu,cpuacct", host.V1["cpuacct"]);
        Assert.Equal(5, host.V1Hierarchies.Count());
        Assert.DoesNotContain("systemd", host.V1.Keys);
    }

    [Fact]
    public void AUnifiedHost_IsV2() =>
        Assert.Equal(CgroupMode.V2, CgroupHost.Parse("27 22 0:23 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot").Mode);

    [Fact]
    public void NoCgroupMount_IsNone() =>
        Assert.Equal(CgroupMode.None, CgroupHost.Parse("22 1 0:21 / /proc rw - proc proc rw").Mode);

    [Theory]
    [InlineData("portal", true)]
    [InlineData("system.slice/portal-jobs.service", true)]
    [InlineData("/portal", false)]
    [InlineData("portal/../..", false)]
    [InlineData("portal//jobs", false)]
    [InlineData("portal jobs", false)]
    [InlineData("", false)]
    public void TheCgroupParent_IsARelativePathOfPlainNames(string parent, bool valid) =>
        Assert.Equal(valid, CgroupPaths.IsValidParent(parent));
}
