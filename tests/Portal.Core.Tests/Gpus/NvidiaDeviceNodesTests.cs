using Portal.Core.Gpus;

namespace Portal.Core.Tests.Gpus;

public sealed class NvidiaDeviceNodesTests : IDisposable
{
    private readonly string _proc = Directory.CreateTempSubdirectory("fake-proc-").FullName;

    public void Dispose() => Directory.Delete(_proc, recursive: true);

    [Fact]
    public void The_driver_minor_number_wins_over_the_index()
    {
        var folder = Directory.CreateDirectory(Path.Combine(_proc, "driver", "nvidia", "gpus", "0000:83:00.0")).FullName;
        File.WriteAllText(Path.Combine(folder, "information"),
            "Model: \t\t NVIDIA H200\nIRQ:   \t\t 165\nGPU UUID: \t GPU-00000000\nDevice Minor: \t 3\nBus Type: \t PCIe\n");

        Assert.Equal("/dev/nvidia3", new NvidiaDeviceNodes(_proc).Resolve("00000000:83:00.0", index: 0));
    }

    [Fact]
    public void Without_driver_information_the_index_is_used() =>
        Assert.Equal("/dev/nvidia5", new NvidiaDeviceNodes(_proc).Resolve("00000000:01:00.0", index: 5));
}
