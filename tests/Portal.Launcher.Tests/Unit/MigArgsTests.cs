using Portal.Launcher.Native;
using Portal.Launcher.Podman;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Tests.Unit;

/// <summary>
/// MIG instances as the policy's GPUs: named by their MIG UUIDs, each given as its parent GPU's node plus its own
/// capability nodes (the H100 capture's layout: GPU 0 with GPU instances 2 and 3, compute instance 0 in each).
/// </summary>
public sealed class MigArgsTests
{
    private const string Mig0 = "MIG-00000000-0000-0000-0000-000000000000";
    private const string Mig1 = "MIG-00000001-0000-0000-0000-000000000001";
    private static readonly UserAccount Alice = new("alice", 1500, 1500, "/home/alice", [1500, 5000]);

    private static readonly LauncherPolicy Policy = RequestValidatorTests.Policy with
    {
        Gpus =
        [
            new PolicyGpu { Id = Mig0, Node = "/dev/nvidia0", Caps = ["/dev/nvidia-caps/nvidia-cap21", "/dev/nvidia-caps/nvidia-cap22"], VisibleId = Mig0 },
            new PolicyGpu { Id = Mig1, Node = "/dev/nvidia0", Caps = ["/dev/nvidia-caps/nvidia-cap30", "/dev/nvidia-caps/nvidia-cap31"], VisibleId = Mig1 },
        ],
        GpuControlNodes = ["/dev/nvidiactl", "/dev/nvidia-uvm"],
    };

    private static List<string> Devices(params string[] gpus)
    {
        List<string> argv = PodmanArgs.Run(["/usr/bin/podman"], "42", new RunSpec { Image = "busybox", Gpus = gpus }, Alice, Policy, null, []);
        return [.. argv.Select((a, i) => (a, i)).Where(x => x.a == "--device").Select(x => argv[x.i + 1])];
    }

    [Fact]
    public void AJobGivenOneMigInstance_GetsItsParentsNode_ItsOwnCapabilityNodes_AndTheControlNodes_AndSeesItByUuid()
    {
        List<string> argv = PodmanArgs.Run(["/usr/bin/podman"], "42", new RunSpec { Image = "busybox", Gpus = [Mig1] }, Alice, Policy, null, []);

        Assert.Equal(["/dev/nvidia0", "/dev/nvidia-caps/nvidia-cap30", "/dev/nvidia-caps/nvidia-cap31", "/dev/nvidiactl", "/dev/nvidia-uvm"], Devices(Mig1));
        Assert.Contains("CUDA_VISIBLE_DEVICES=" + Mig1, argv);
        Assert.Contains("NVIDIA_VISIBLE_DEVICES=" + Mig1, argv);
    }

    [Fact]
    public void AJobGivenTwoInstancesOfOneGpu_GetsTheParentsNodeOnce()
    {
        Assert.Equal(
            ["/dev/nvidia0", "/dev/nvidia-caps/nvidia-cap21", "/dev/nvidia-caps/nvidia-cap22", "/dev/nvidia-caps/nvidia-cap30", "/dev/nvidia-caps/nvidia-cap31", "/dev/nvidiactl", "/dev/nvidia-uvm"],
            Devices(Mig0, Mig1));
    }

    [Fact]
    public void ThePolicysCaps_AreRead()
    {
        LauncherPolicy p = PolicyReader.Parse(System.Text.Encoding.UTF8.GetBytes("""
            {"version":1,"minUid":1000,"group":"g","podman":"/usr/bin/podman","runtime":"runc","pidsLimit":1,"logMaxBytes":4096,"auditLog":"/a",
             "gpus":[{"id":"MIG-1","node":"/dev/nvidia0","caps":["/dev/nvidia-caps/nvidia-cap21","/dev/nvidia-caps/nvidia-cap22"]}]}
            """));

        Assert.Equal(["/dev/nvidia0", "/dev/nvidia-caps/nvidia-cap21", "/dev/nvidia-caps/nvidia-cap22"], p.Gpus[0].Nodes);
    }
}
