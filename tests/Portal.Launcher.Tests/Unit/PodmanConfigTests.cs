using Portal.Launcher.Podman;
using Portal.Launcher.Policy;

namespace Portal.Launcher.Tests.Unit;

public sealed class PodmanConfigTests
{
    private static readonly LauncherPolicy Policy = RequestValidatorTests.Policy;

    [Fact]
    public void ContainersConf_NamesRuntimeAndConmonByPath_AndHasNoHookDirectoryOrDevice()
    {
        string conf = PodmanConfig.Containers(Policy, "/usr/bin/runc", hasSeccompProfile: true);

        Assert.Contains("hooks_dir = []", conf, StringComparison.Ordinal);
        Assert.Contains("devices = []", conf, StringComparison.Ordinal);
        Assert.Contains("runc = [\"/usr/bin/runc\"]", conf, StringComparison.Ordinal);
        Assert.Contains("conmon_path = [\"/usr/bin/conmon\"]", conf, StringComparison.Ordinal);
        Assert.Contains("cgroup_manager = \"cgroupfs\"", conf, StringComparison.Ordinal);
        Assert.Contains("seccomp_profile = \"/usr/share/containers/seccomp.json\"", conf, StringComparison.Ordinal);
        Assert.Contains("netns = \"none\"", conf, StringComparison.Ordinal);
        foreach (string ns in new[] { "cgroupns", "ipcns", "pidns", "utsns" })
        {
            Assert.Contains(ns + " = \"private\"", conf, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void StorageConf_IsNativeOverlayInTheUsersHome_WhereTheKernelAllowsIt()
    {
        string conf = PodmanConfig.Storage(Policy, nativeOverlay: true);

        Assert.Contains("driver = \"overlay\"", conf, StringComparison.Ordinal);
        Assert.Contains("rootless_storage_path = \"$HOME/.local/share/containers/storage\"", conf, StringComparison.Ordinal);
        Assert.DoesNotContain("mount_program", conf, StringComparison.Ordinal);
    }

    [Fact]
    public void StorageConf_UsesFuseOverlayfs_OnOlderKernels() =>
        Assert.Contains("mount_program = \"/usr/bin/fuse-overlayfs\"", PodmanConfig.Storage(Policy, nativeOverlay: false), StringComparison.Ordinal);

    [Fact]
    public void StorageConf_IsVfs_OnlyWhenThePolicySaysSo() =>
        Assert.Contains("driver = \"vfs\"", PodmanConfig.Storage(Policy with { StorageDriver = LauncherPolicy.VfsStorage }, nativeOverlay: true), StringComparison.Ordinal);

    [Theory]
    [InlineData("6.18.44-fc-v1272", true)]
    [InlineData("5.13.0", true)]
    [InlineData("5.10.0-28-amd64", false)]
    [InlineData("4.19.0", false)]
    public void RootlessOverlay_NeedsLinux5Point13(string release, bool native) =>
        Assert.Equal(native, PodmanConfig.KernelHasRootlessOverlay(release));
}
