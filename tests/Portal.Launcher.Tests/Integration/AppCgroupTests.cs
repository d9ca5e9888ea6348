using Portal.Launcher.Protocol;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>
/// An app is a job to the kernel as a container is: its pod's processes and every service run in the job's one
/// root-owned cgroup, whose limits are the services' sums and whose device filter opens exactly the app's GPUs;
/// app-stop empties it, app-remove and a failed app-up remove it.
/// </summary>
[Collection(LauncherTestGroup.Name)]
public sealed class AppCgroupTests(LauncherFixture f)
{
    private static readonly string[] Controllers = ["memory", "cpu", "cpuacct", "pids", "devices", "freezer"];

    [Fact]
    public async Task AnAppsServices_RunInTheJobsRootOwnedCgroup_WithTheirSummedLimitsAndGpus_AndAppStopAndRemoveEndIt()
    {
        string job = LauncherRunner.NewJob();
        var app = new AppSpec
        {
            Services =
            [
                Apps.Service("one", ["sleep", "300"]) with { Run = new RunSpec { Image = LauncherFixture.Image, Command = ["sleep", "300"], Cpus = 0.5, MemoryMiB = 64 } },
                Apps.Service("two", ["sleep", "300"]) with
                {
                    Run = new RunSpec { Image = LauncherFixture.Image, Command = ["sleep", "300"], Cpus = 0.25, MemoryMiB = 96, Gpus = [LauncherFixture.OpenableGpu] },
                },
            ],
        };
        try
        {
            LauncherCall up = await LauncherRunner.RunAsync(f, Apps.Up(f.Alice.Name, job, app));

            Assert.True(up.ExitCode == 0, up.ToString());
            Assert.True(up.Response!.Cgroup is { Exists: true, Populated: true, MemoryLimitBytes: 160L << 20 }, up.ToString());
            List<ContainerState> services = await Apps.InspectAsync(f, f.Alice, job);
            Assert.Equal(2, services.Count);
            foreach (string controller in Controllers)
            {
                string dir = TestCgroups.V1(controller, f.Alice, job);
                Assert.Equal(0u, TestCgroups.Owner(dir));
                Assert.All(services, s => Assert.Contains(s.Pid!.Value, TestCgroups.Pids(dir)));
            }

            Assert.Equal((160L << 20).ToString(System.Globalization.CultureInfo.InvariantCulture),
                File.ReadAllText(TestCgroups.V1("memory", f.Alice, job) + "/memory.limit_in_bytes").Trim());
            Assert.Equal("75000", File.ReadAllText(TestCgroups.V1("cpu", f.Alice, job) + "/cpu.cfs_quota_us").Trim());
            string real = await DeviceProbe.OpenAsync(f.Alice, job, DeviceProbe.AllowedNode, DeviceProbe.OpenableGpuNode, DeviceProbe.DeniedNode);
            Assert.Contains(DeviceProbe.AllowedNode + ": " + DeviceProbe.Opened, real, StringComparison.Ordinal);
            Assert.Contains(DeviceProbe.OpenableGpuNode + ": " + DeviceProbe.Opened, real, StringComparison.Ordinal);
            Assert.Contains(DeviceProbe.DeniedNode + ": " + DeviceProbe.Eperm, real, StringComparison.Ordinal);

            LauncherCall stop = await LauncherRunner.RunAsync(f, Apps.Verb(LauncherVerbs.AppStop, f.Alice.Name, job, stopSeconds: 0));

            Assert.True(stop.ExitCode == 0, stop.ToString());
            Assert.True(stop.Response!.Cgroup is { Exists: true, Populated: false }, stop.ToString());

            LauncherCall remove = await LauncherRunner.RunAsync(f, Apps.Verb(LauncherVerbs.AppRemove, f.Alice.Name, job, stopSeconds: 0));

            Assert.True(remove.ExitCode == 0, remove.ToString());
            Assert.All(Controllers, c => Assert.False(Directory.Exists(TestCgroups.V1(c, f.Alice, job)), c));
        }
        finally
        {
            await Apps.RemoveAsync(f, f.Alice, job);
        }
    }

    [Fact]
    public async Task AnAppUpThatFailsPartWay_LeavesNoCgroup()
    {
        string job = LauncherRunner.NewJob();
        var app = new AppSpec
        {
            Services =
            [
                Apps.Service("one", ["sleep", "300"]),
                Apps.Service("two", ["sleep", "300"]) with { Run = new RunSpec { Image = "localhost/ptest-no-such-image:latest", Command = ["sleep", "300"] } },
            ],
        };
        try
        {
            LauncherCall up = await LauncherRunner.RunAsync(f, Apps.Up(f.Alice.Name, job, app));

            Assert.NotEqual(0, up.ExitCode);
            Assert.False(await Apps.PodExistsAsync(f.Alice, job));
            Assert.All(Controllers, c => Assert.False(Directory.Exists(TestCgroups.V1(c, f.Alice, job)), c));
        }
        finally
        {
            await Apps.RemoveAsync(f, f.Alice, job);
        }
    }
}
