using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// A job's processes open only the standard devices and their own GPUs, whatever the node's file mode. Two proofs in
/// each test. Real nodes (<see cref="DeviceProbe"/>): from inside the job's device control, /dev/null opens and
/// /dev/net/tun fails with EPERM, and /dev/fuse, whose numbers are the openable fake GPU's, opens exactly when the job
/// was given that GPU. Fake GPU nodes as a job meets them: 0666 and reachable through a mount of the owner's home, as
/// /dev/nvidia* are on a stock host; an open the job's cgroup refuses fails with EPERM, one it allows reaches the
/// (absent) driver and fails with ENXIO. The second proof needs a host that lets nodes made with mknod be opened at
/// all (<see cref="LauncherFixture.HandMadeNodesOpen"/>); the first holds on any host.
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class DeviceControlTests(LauncherFixture f) : IAsyncLifetime
{
    private const string Eperm = DeviceProbe.Eperm;
    private const string Enxio = "No such device or address";
    private string Nodes => Path.Combine(f.Alice.Home, "ptest-devices");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Nodes);
        await Shell.CheckedAsync("/usr/bin/chown", $"{f.Alice.Uid}:{f.Alice.Gid}", Nodes);
        foreach ((string name, string minor) in new[] { ("gpu0", "0"), ("gpu1", "1") })
        {
            string node = Path.Combine(Nodes, name);
            if (!File.Exists(node))
            {
                await Shell.CheckedAsync("/usr/bin/mknod", "-m", "0666", node, "c", "195", minor);
            }
        }
    }

    public Task DisposeAsync()
    {
        Directory.Delete(Nodes, recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task AJobWithoutAGpu_GetsEperm_OnA0666GpuNodeItCanReach()
    {
        string job = LauncherRunner.NewJob();
        try
        {
            await Jobs.StartAsync(f, Run(job, "cat /d/gpu0 2>&1; cat /d/gpu1 2>&1; echo end-of-check"));

            string logs = await Jobs.WaitForLogAsync(f, f.Alice, job, "end-of-check");
            string real = await DeviceProbe.OpenAsync(f.Alice, job, DeviceProbe.AllowedNode, DeviceProbe.OpenableGpuNode, DeviceProbe.DeniedNode);

            Assert.Contains(DeviceProbe.AllowedNode + ": " + DeviceProbe.Opened, real, StringComparison.Ordinal);
            Assert.Contains(DeviceProbe.OpenableGpuNode + ": " + Eperm, real, StringComparison.Ordinal);
            Assert.Contains(DeviceProbe.DeniedNode + ": " + Eperm, real, StringComparison.Ordinal);
            if (f.HandMadeNodesOpen)
            {
                Assert.Contains("/d/gpu0': " + Eperm, logs, StringComparison.Ordinal);
                Assert.Contains("/d/gpu1': " + Eperm, logs, StringComparison.Ordinal);
            }
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task AJobWithGpus_ReachesThemAndTheControlNodes_ButGetsEpermOnAnotherGpu()
    {
        string job = LauncherRunner.NewJob();
        try
        {
            await Jobs.StartAsync(f, Run(job, "cat /d/gpu0 2>&1; cat /d/gpu1 2>&1; cat /dev/ptest-gpu/nvidia1 2>&1; cat /dev/ptest-gpu/nvidiactl 2>&1; echo end-of-check",
                gpus: ["1", LauncherFixture.OpenableGpu]));

            string logs = await Jobs.WaitForLogAsync(f, f.Alice, job, "end-of-check");
            string real = await DeviceProbe.OpenAsync(f.Alice, job, DeviceProbe.AllowedNode, DeviceProbe.OpenableGpuNode, DeviceProbe.DeniedNode);

            Assert.Contains(DeviceProbe.AllowedNode + ": " + DeviceProbe.Opened, real, StringComparison.Ordinal);
            Assert.Contains(DeviceProbe.OpenableGpuNode + ": " + DeviceProbe.Opened, real, StringComparison.Ordinal);
            Assert.Contains(DeviceProbe.DeniedNode + ": " + Eperm, real, StringComparison.Ordinal);
            if (f.HandMadeNodesOpen)
            {
                Assert.Contains("/d/gpu0': " + Eperm, logs, StringComparison.Ordinal);
                Assert.Contains("/d/gpu1': " + Enxio, logs, StringComparison.Ordinal);
                Assert.Contains("/dev/ptest-gpu/nvidia1': " + Enxio, logs, StringComparison.Ordinal);
                Assert.Contains("/dev/ptest-gpu/nvidiactl': " + Enxio, logs, StringComparison.Ordinal);
            }
        }
        finally
        {
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task TheBpfProgram_AloneDeniesTheNode_WhenTheV1DevicesControllerAllowsEverything()
    {
        // The test machines are hybrid (cgroup v1 plus a cgroup2 mount) or v2: both have the cgroup2 side.
        Assert.NotNull(TestCgroups.Host.Unified);
        string job = LauncherRunner.NewJob();
        try
        {
            await Jobs.StartAsync(f, Run(job, "while [ ! -e /d/go ]; do sleep 0.1; done; cat /d/gpu0 2>&1; echo end-of-check; sleep 300"));
            Assert.NotEmpty(BpfProbe.DevicePrograms(TestCgroups.Unified(f.Alice, job)!));

            File.WriteAllText(TestCgroups.V1("devices", f.Alice, job) + "/devices.allow", "a");
            File.WriteAllText(Path.Combine(Nodes, "go"), "");
            string logs = await Jobs.WaitForLogAsync(f, f.Alice, job, "end-of-check");
            string real = await DeviceProbe.OpenAsync(f.Alice, job, DeviceProbe.AllowedNode, DeviceProbe.OpenableGpuNode, DeviceProbe.DeniedNode);

            Assert.Contains(DeviceProbe.AllowedNode + ": " + DeviceProbe.Opened, real, StringComparison.Ordinal);
            Assert.Contains(DeviceProbe.OpenableGpuNode + ": " + Eperm, real, StringComparison.Ordinal);
            Assert.Contains(DeviceProbe.DeniedNode + ": " + Eperm, real, StringComparison.Ordinal);
            if (f.HandMadeNodesOpen)
            {
                Assert.Contains("/d/gpu0': " + Eperm, logs, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(Path.Combine(Nodes, "go"));
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    [Fact]
    public async Task TheV1DevicesController_AloneDeniesTheNode_WhenTheBpfProgramIsDetached()
    {
        string job = LauncherRunner.NewJob();
        try
        {
            await Jobs.StartAsync(f, Run(job, "while [ ! -e /d/go ]; do sleep 0.1; done; cat /d/gpu0 2>&1; cat /d/gpu1 2>&1; echo end-of-check; sleep 300",
                gpus: ["1", LauncherFixture.OpenableGpu]));
            Assert.Contains("c 195:1 rw", File.ReadAllText(TestCgroups.V1("devices", f.Alice, job) + "/devices.list"), StringComparison.Ordinal);

            if (TestCgroups.Unified(f.Alice, job) is { } unified)
            {
                BpfProbe.DetachAll(unified);
                Assert.Empty(BpfProbe.DevicePrograms(unified));
            }

            File.WriteAllText(Path.Combine(Nodes, "go"), "");
            string logs = await Jobs.WaitForLogAsync(f, f.Alice, job, "end-of-check");
            string real = await DeviceProbe.OpenAsync(f.Alice, job, DeviceProbe.AllowedNode, DeviceProbe.OpenableGpuNode, DeviceProbe.DeniedNode);

            Assert.Contains(DeviceProbe.AllowedNode + ": " + DeviceProbe.Opened, real, StringComparison.Ordinal);
            Assert.Contains(DeviceProbe.OpenableGpuNode + ": " + DeviceProbe.Opened, real, StringComparison.Ordinal);
            Assert.Contains(DeviceProbe.DeniedNode + ": " + Eperm, real, StringComparison.Ordinal);
            if (f.HandMadeNodesOpen)
            {
                Assert.Contains("/d/gpu0': " + Eperm, logs, StringComparison.Ordinal);
                Assert.Contains("/d/gpu1': " + Enxio, logs, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(Path.Combine(Nodes, "go"));
            await LauncherRunner.RunAsync(f, Requests.Remove(f.Alice.Name, job));
        }
    }

    private string Run(string job, string script, IEnumerable<string>? gpus = null) =>
        Requests.Run(f.Alice.Name, job, ["sh", "-c", script], gpus,
            mounts: [new Dictionary<string, object> { ["source"] = Nodes, ["target"] = "/d" }]);
}
