using Portal.Launcher.Native;
using Portal.Launcher.Podman;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Tests.Unit;

public sealed class PodmanArgsTests
{
    private static readonly UserAccount Alice = new("alice", 1500, 1500, "/home/alice", [1500, 5000]);

    private static List<string> Run(RunSpec spec, LauncherPolicy? policy = null) =>
        PodmanArgs.Run(["/usr/bin/podman", "--default-mounts-file", "/run/x/mounts.conf"], "42", spec, Alice, policy ?? RequestValidatorTests.Policy, "/run/user/1500/env", []);

    [Fact]
    public void TheImage_FollowsAllOptionsAndADoubleDash_AndTheCommandFollowsTheImage()
    {
        List<string> argv = Run(new RunSpec { Image = "busybox", Command = ["--privileged", "-v", "/:/host"] });

        int image = argv.IndexOf("busybox");
        Assert.Equal("--", argv[image - 1]);
        Assert.Equal(["--privileged", "-v", "/:/host"], argv[(image + 1)..]);
        Assert.DoesNotContain("--privileged", argv[..image]);
    }

    [Fact]
    public void EveryContainer_GetsTheHardeningOptions()
    {
        List<string> argv = Run(new RunSpec { Image = "busybox" });

        Assert.Contains("no-new-privileges", argv);
        Assert.Equal("all", argv[argv.IndexOf("--cap-drop") + 1]);
        Assert.Equal("max-size=1048576", argv[argv.IndexOf("--log-opt") + 1]);
        Assert.Equal("runc", argv[argv.IndexOf("--runtime") + 1]);
        Assert.Equal("none", argv[argv.IndexOf("--network") + 1]);
        Assert.Contains("portal.job=42", argv);
        Assert.Contains("portal.owner=alice", argv);
        Assert.Equal("portal-job-42", argv[argv.IndexOf("--name") + 1]);
    }

    [Fact]
    public void Limits_AreNotPodmanOptions_TheJobsCgroupEnforcesThem()
    {
        List<string> argv = Run(new RunSpec { Image = "busybox", Cpus = 1.5, MemoryMiB = 2048 });

        Assert.DoesNotContain("--cpus", argv);
        Assert.DoesNotContain("--memory", argv);
        Assert.DoesNotContain("--pids-limit", argv);
    }

    [Fact]
    public void GlobalOptions_ComeBeforeTheSubcommand()
    {
        List<string> argv = Run(new RunSpec { Image = "busybox" });

        Assert.Equal(["/usr/bin/podman", "--default-mounts-file", "/run/x/mounts.conf", "run"], argv[..4]);
    }

    [Fact]
    public void GpuEnvironment_ComesAfterTheEnvFile_SoTheRequestCannotOverrideIt()
    {
        List<string> argv = Run(new RunSpec { Image = "busybox", Gpus = ["1"] });

        Assert.True(argv.IndexOf("--env-file") < argv.IndexOf("CUDA_VISIBLE_DEVICES=1"));
        Assert.Contains("NVIDIA_VISIBLE_DEVICES=1", argv);
        Assert.Contains("/dev/nvidia1", argv);
        Assert.DoesNotContain("/dev/nvidia0", argv);
    }

    [Fact]
    public void WithACdiSpec_GpusArePassedAsCdiNames()
    {
        LauncherPolicy cdi = RequestValidatorTests.Policy with
        {
            UseCdi = true,
            Gpus = [new PolicyGpu { Id = "1", Node = "/dev/nvidia1", Cdi = "nvidia.com/gpu=GPU-1" }],
        };

        List<string> argv = Run(new RunSpec { Image = "busybox", Gpus = ["1"] }, cdi);

        Assert.Equal("nvidia.com/gpu=GPU-1", argv[argv.IndexOf("--device") + 1]);
        Assert.DoesNotContain("/dev/nvidia1", argv);
    }

    [Fact]
    public void ThePodmanEnvironment_IsTheAllowListOnly() =>
        Assert.Equal(["HOME", "LANG", "LOGNAME", "PATH", "USER", "XDG_RUNTIME_DIR"], PodmanArgs.Environment(Alice, "/run/user/1500").Keys.Order(StringComparer.Ordinal));
}
