using Portal.Core.Gpus;

namespace Portal.Core.Tests.Gpus;

public sealed class CdiDetectorTests : IDisposable
{
    private readonly string _etc = Directory.CreateTempSubdirectory("cdi-etc-").FullName;
    private readonly string _run = Directory.CreateTempSubdirectory("cdi-run-").FullName;

    public void Dispose()
    {
        Directory.Delete(_etc, recursive: true);
        Directory.Delete(_run, recursive: true);
    }

    // The shape nvidia-ctk cdi generate writes, trimmed; note the nested "hookName" and mount entries.
    private const string NvidiaCtkYaml = """
        ---
        cdiVersion: 0.5.0
        containerEdits:
          deviceNodes:
          - path: /dev/nvidiactl
          hooks:
          - args:
            - nvidia-ctk
            hookName: createContainer
            path: /usr/bin/nvidia-ctk
        devices:
        - containerEdits:
            deviceNodes:
            - path: /dev/nvidia0
          name: "0"
        - containerEdits:
            deviceNodes:
            - path: /dev/nvidia0
          name: GPU-00000000-0000-0000-0000-000000000000
        - name: all
          containerEdits:
            deviceNodes:
            - path: /dev/nvidia0
        kind: nvidia.com/gpu
        """;

    [Fact]
    public void A_yaml_spec_from_nvidia_ctk_yields_its_device_names()
    {
        File.WriteAllText(Path.Combine(_etc, "nvidia.yaml"), NvidiaCtkYaml);

        var inventory = new CdiDetector([_etc, _run]).Detect();

        Assert.True(inventory.HasNvidiaSpec);
        Assert.Equal([Path.Combine(_etc, "nvidia.yaml")], inventory.SpecFiles);
        Assert.Equal(["0", "GPU-00000000-0000-0000-0000-000000000000", "all"], inventory.DeviceNames.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_json_spec_under_var_run_is_found_too()
    {
        File.WriteAllText(Path.Combine(_run, "nvidia.json"),
            """{"cdiVersion":"0.6.0","kind":"nvidia.com/gpu","devices":[{"name":"0","containerEdits":{}},{"name":"1"}]}""");

        var inventory = new CdiDetector([_etc, _run]).Detect();

        Assert.Equal(["0", "1"], inventory.DeviceNames.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Specs_of_other_vendors_and_broken_files_are_ignored()
    {
        File.WriteAllText(Path.Combine(_etc, "amd.yaml"), "kind: amd.com/gpu\ndevices:\n- name: \"0\"\n");
        File.WriteAllText(Path.Combine(_etc, "broken.json"), "{ not json");
        File.WriteAllText(Path.Combine(_etc, "notes.txt"), "kind: nvidia.com/gpu");

        var inventory = new CdiDetector([_etc, _run, "/nonexistent/cdi"]).Detect();

        Assert.False(inventory.HasNvidiaSpec);
        Assert.Empty(inventory.DeviceNames);
    }

    [Fact]
    public void A_gpu_gets_its_cdi_name_by_uuid_first_then_by_index_else_device_nodes()
    {
        var gpu0 = new GpuDevice(0, "GPU-a", "NVIDIA H200", 143771, null, "/dev/nvidia0", []);
        var gpu1 = new GpuDevice(1, "GPU-b", "NVIDIA H200", 143771, null, "/dev/nvidia1", []);
        var gpu2 = new GpuDevice(2, "GPU-c", "NVIDIA H200", 143771, null, "/dev/nvidia2", []);
        var inventory = new CdiInventory(["/etc/cdi/nvidia.yaml"], new HashSet<string>(["GPU-a", "0", "1", "all"]));

        Assert.Equal("nvidia.com/gpu=GPU-a", inventory.CdiNameFor(gpu0));
        Assert.Equal("nvidia.com/gpu=1", inventory.CdiNameFor(gpu1));
        Assert.Null(inventory.CdiNameFor(gpu2));
    }
}
