using Portal.Launcher.Native;
using Portal.Launcher.Podman;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Tests.Unit.Driver;

/// <summary>What podman is told to mount of the driver: every listed file read-only, only for a GPU job, only without CDI.</summary>
public sealed class DriverMountArgsTests
{
    private static readonly UserAccount Alice = new("alice", 1500, 1500, "/home/alice", [1500, 5000]);

    private static readonly LauncherPolicy WithDriver = RequestValidatorTests.Policy with
    {
        Driver = new DriverPolicy
        {
            Version = "590.48.01",
            Files =
            [
                new DriverFile { Path = "/usr/lib/x86_64-linux-gnu/libcuda.so.590.48.01", Links = ["libcuda.so.1"] },
                new DriverFile { Path = "/usr/lib/nvidia/current/nvidia-smi" },
            ],
        },
    };

    private static List<string> Mounts(RunSpec spec, LauncherPolicy policy, params (string, string, bool)[] requestMounts)
    {
        List<string> argv = PodmanArgs.Run(["/usr/bin/podman"], "42", spec, Alice, policy, null, requestMounts);
        return [.. argv.Select((a, i) => (a, i)).Where(x => x.a == "--mount").Select(x => argv[x.i + 1])];
    }

    private static string GpuId => RequestValidatorTests.Policy.Gpus[0].Id;

    [Fact]
    public void AGpuJob_GetsEveryDriverFileReadOnly_WhereCudaImagesLook()
    {
        List<string> mounts = Mounts(new RunSpec { Image = "busybox", Gpus = [GpuId] }, WithDriver);

        Assert.Equal(
        [
            "type=bind,source=/usr/lib/x86_64-linux-gnu/libcuda.so.590.48.01,target=/usr/lib/x86_64-linux-gnu/libcuda.so.590.48.01,ro=true",
            "type=bind,source=/usr/lib/x86_64-linux-gnu/libcuda.so.590.48.01,target=/usr/lib/x86_64-linux-gnu/libcuda.so.1,ro=true",
            "type=bind,source=/usr/lib/nvidia/current/nvidia-smi,target=/usr/bin/nvidia-smi,ro=true",
        ], mounts);
    }

    [Fact]
    public void AJobWithoutGpu_GetsNoDriverFile()
    {
        Assert.Empty(Mounts(new RunSpec { Image = "busybox" }, WithDriver));
    }

    [Fact]
    public void InCdiMode_TheSpecGivesTheDriver_AndThePolicysListIsNotMounted()
    {
        LauncherPolicy cdi = WithDriver with { UseCdi = true, Gpus = [.. WithDriver.Gpus.Select(g => g with { Cdi = "nvidia.com/gpu=0" })] };

        Assert.Empty(Mounts(new RunSpec { Image = "busybox", Gpus = [GpuId] }, cdi));
    }

    [Fact]
    public void ATargetTheRequestMountsItself_IsLeftToTheRequest_SoPodmanNeverSeesATargetTwice()
    {
        List<string> mounts = Mounts(new RunSpec { Image = "busybox", Gpus = [GpuId] }, WithDriver, ("/home/alice/bin", "/usr/bin/nvidia-smi", true));

        Assert.Single(mounts, m => m.Contains("target=/usr/bin/nvidia-smi", StringComparison.Ordinal));
        Assert.Contains("type=bind,source=/home/alice/bin,target=/usr/bin/nvidia-smi,ro=true", mounts);
    }
}
