using Portal.Core.Gpus;

namespace Portal.Core.Tests.Gpus;

public sealed class ProcessOwnerResolverTests : IDisposable
{
    private const string ContainerId = "3f9a2c7d1e0b4a5968778695a4b3c2d1e0f1a2b3c4d5e6f708192a3b4c5d6e7f";
    private readonly string _proc = Directory.CreateTempSubdirectory("fake-proc-").FullName;

    public void Dispose() => Directory.Delete(_proc, recursive: true);

    [Theory]
    [InlineData($"0::/user.slice/user-1001.slice/user@1001.service/user.slice/libpod-{ContainerId}.scope/container\n")]
    [InlineData($"0::/libpod_parent/libpod-{ContainerId}\n")]
    [InlineData($"12:memory:/user.slice/libpod-{ContainerId}.scope\n11:pids:/user.slice/libpod-{ContainerId}.scope\n1:name=systemd:/user.slice\n")]
    public void A_container_process_maps_to_its_uid_and_container(string cgroup)
    {
        WriteProcess(4242, uid: 1001, cgroup);

        var owner = new ProcessOwnerResolver(_proc).Resolve(4242);

        Assert.Equal(new ProcessOwner(4242, 1001, ContainerId), owner);
    }

    [Fact]
    public void The_conmon_monitor_is_not_mistaken_for_the_container()
    {
        WriteProcess(77, uid: 1001, $"0::/user.slice/user-1001.slice/user@1001.service/user.slice/libpod-conmon-{ContainerId}.scope\n");

        Assert.Null(new ProcessOwnerResolver(_proc).Resolve(77)!.ContainerId);
    }

    [Fact]
    public void A_process_outside_any_container_keeps_its_uid_and_no_job()
    {
        WriteProcess(2165, uid: 1000, "0::/user.slice/user-1000.slice/session-3.scope\n");
        var gpuProcess = new GpuProcess("GPU-1", 2165, "/usr/bin/kwin_wayland", 25);

        var attributed = Assert.Single(new ProcessOwnerResolver(_proc).Attribute([gpuProcess], new Dictionary<string, long>()));

        Assert.Equal(1000u, attributed.Owner!.Uid);
        Assert.Null(attributed.Owner.ContainerId);
        Assert.Null(attributed.JobId);
    }

    [Fact]
    public void A_gpu_process_in_a_job_container_is_attributed_to_the_job()
    {
        WriteProcess(11345, uid: 1002, $"0::/user.slice/libpod-{ContainerId}.scope/container\n");
        var gpuProcess = new GpuProcess("GPU-1", 11345, "./gpu_burn", 15690);

        var attributed = Assert.Single(new ProcessOwnerResolver(_proc).Attribute(
            [gpuProcess], new Dictionary<string, long> { [ContainerId] = 42 }));

        Assert.Equal(42, attributed.JobId);
        Assert.Equal(1002u, attributed.Owner!.Uid);
    }

    [Fact]
    public void A_process_that_has_already_exited_has_no_owner()
    {
        var attributed = Assert.Single(new ProcessOwnerResolver(_proc).Attribute(
            [new GpuProcess("GPU-1", 999_999, "gone", null)], new Dictionary<string, long>()));

        Assert.Null(attributed.Owner);
        Assert.Null(attributed.JobId);
    }

    private void WriteProcess(int pid, uint uid, string cgroup)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_proc, $"{pid}")).FullName;
        File.WriteAllText(Path.Combine(folder, "status"),
            $"Name:\tpython3\nUmask:\t0022\nState:\tR (running)\nPid:\t{pid}\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nGid:\t100\t100\t100\t100\n");
        File.WriteAllText(Path.Combine(folder, "cgroup"), cgroup);
    }
}
