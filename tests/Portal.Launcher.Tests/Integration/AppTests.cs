using Portal.Launcher.Protocol;
using Portal.Launcher.Tests.Infrastructure;

namespace Portal.Launcher.Tests.Integration;

/// <summary>Apps against real rootless podman: one pod without a network, services that reach each other by name.</summary>
[Collection(LauncherTestGroup.Name)]
public sealed class AppTests(LauncherFixture f)
{
    private const string Gpu0 = LauncherFixture.GpuDir + "/nvidia0";
    private const string Gpu1 = LauncherFixture.GpuDir + "/nvidia1";

    /// <summary>busybox httpd serving one page, healthy once it answers.</summary>
    private static AppServiceSpec Web() => Apps.Service("web", ["sh", "-c", "mkdir -p /tmp/www && echo hello-from-web > /tmp/www/index.html && exec httpd -f -v -p 8080 -h /tmp/www"]) with
    {
        Healthcheck = new HealthcheckSpec { Test = ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"], IntervalSeconds = 1, TimeoutSeconds = 5, Retries = 20 },
    };

    /// <summary>A client that fetches the page by the service's name, then shows its network and hosts file.</summary>
    private static AppServiceSpec Client() => Apps.Service("client",
        ["sh", "-c", "wget -q -O - http://web:8080/; echo net=$(ls /sys/class/net); grep -c web /etc/hosts; echo client-done; exec sleep 300"]) with
    {
        DependsOn = [new DependencySpec { Service = "web", Condition = DependencyConditions.Healthy }],
    };

    [Fact]
    public async Task TwoServiceApp_ResolvesNamesOnLoopbackOnly_ShowsBothLogs_AndStopsAndGoesAsOne()
    {
        string job = LauncherRunner.NewJob();
        try
        {
            LauncherCall up = await LauncherRunner.RunAsync(f, Apps.Up(f.Alice.Name, job, new AppSpec { Services = [Web(), Client()] }));

            Assert.True(up.ExitCode == 0, up.ToString());
            Assert.Equal(LauncherProtocol.PodName(job), up.Response!.ContainerName);
            string clientLog = await Apps.WaitForLogAsync(f, f.Alice, job, "client", "client-done");
            Assert.Contains("hello-from-web", clientLog, StringComparison.Ordinal);
            Assert.Contains("net=lo\n", clientLog, StringComparison.Ordinal);
            Assert.Contains("response:200", await Apps.WaitForLogAsync(f, f.Alice, job, "web", "response:200"), StringComparison.Ordinal);

            List<ContainerState> services = await Apps.InspectAsync(f, f.Alice, job);
            Assert.Equal(["client", "web"], services.Select(s => s.Service).Order(StringComparer.Ordinal));
            Assert.All(services, s => Assert.Equal("running", s.State));
            Assert.All(services, s => Assert.Equal(job, s.App));
            Assert.All(services, s => Assert.Equal(f.Alice.Name, s.Owner));

            // Every service is hardened like a job: no capability, no new privileges, the owner's uid on the host.
            foreach (ContainerState service in services)
            {
                Assert.Equal(["0000000000000000"], Jobs.StatusField(service.Pid!.Value, "CapEff"));
                Assert.Equal(["1"], Jobs.StatusField(service.Pid!.Value, "NoNewPrivs"));
                Assert.Equal(f.Alice.Uid.ToString(System.Globalization.CultureInfo.InvariantCulture), Jobs.StatusField(service.Pid!.Value, "Uid")[0]);
            }

            LauncherCall export = await LauncherRunner.RunAsync(f, Apps.Verb(LauncherVerbs.AppExport, f.Alice.Name, job));
            Assert.True(export.ExitCode == 0, export.ToString());
            Assert.Contains("kind: Pod", export.Response!.Export, StringComparison.Ordinal);
            Assert.Contains(LauncherProtocol.ServiceContainerName(job, "client"), export.Response.Export, StringComparison.Ordinal);

            LauncherCall stop = await LauncherRunner.RunAsync(f, Apps.Verb(LauncherVerbs.AppStop, f.Alice.Name, job, stopSeconds: 0));
            Assert.True(stop.ExitCode == 0, stop.ToString());
            Assert.All(await Apps.InspectAsync(f, f.Alice, job), s => Assert.Equal("exited", s.State));

            LauncherCall remove = await LauncherRunner.RunAsync(f, Apps.Verb(LauncherVerbs.AppRemove, f.Alice.Name, job, stopSeconds: 0));
            Assert.True(remove.ExitCode == 0, remove.ToString());
            Assert.False(await Apps.PodExistsAsync(f.Alice, job));
            Assert.False(File.Exists($"/run/user/{f.Alice.Uid}/portal-app-{job}.hosts"));
        }
        finally
        {
            await Apps.RemoveAsync(f, f.Alice, job);
        }
    }

    [Fact]
    public async Task NamedVolumes_AreSharedBetweenServices_AndRemovedWithTheApp()
    {
        string job = LauncherRunner.NewJob();
        try
        {
            var writer = Apps.Service("writer", ["sh", "-c", "echo shared-data > /v/file; exec sleep 300"]) with
            {
                Volumes = [new AppVolumeMountSpec { Volume = "data", Target = "/v" }],
            };
            var reader = Apps.Service("reader", ["sh", "-c", "until cat /v/file; do sleep 0.1; done; echo reader-done; exec sleep 300"]) with
            {
                Volumes = [new AppVolumeMountSpec { Volume = "data", Target = "/v", ReadOnly = true }],
            };

            LauncherCall up = await LauncherRunner.RunAsync(f, Apps.Up(f.Alice.Name, job, new AppSpec { Services = [writer, reader], Volumes = ["data"] }));

            Assert.True(up.ExitCode == 0, up.ToString());
            Assert.Contains("shared-data", await Apps.WaitForLogAsync(f, f.Alice, job, "reader", "reader-done"), StringComparison.Ordinal);
            await Apps.RemoveAsync(f, f.Alice, job);
            ShellResult volumes = await LauncherFixture.PodmanAsync(f.Alice, "volume", "ls", "--quiet");
            Assert.DoesNotContain(LauncherProtocol.AppVolumeName(job, "data"), volumes.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            await Apps.RemoveAsync(f, f.Alice, job);
        }
    }

    [Fact]
    public async Task AServiceThatCannotStart_UndoesTheWholeApp()
    {
        string job = LauncherRunner.NewJob();
        var broken = Apps.Service("broken", ["true"]) with { Run = new RunSpec { Image = "localhost/no-such-image:latest" } };

        LauncherCall up = await LauncherRunner.RunAsync(f, Apps.Up(f.Alice.Name, job, new AppSpec { Services = [Web(), broken], Volumes = ["scratch"] }));

        Assert.Equal(LauncherExitCodes.OperationFailed, up.ExitCode);
        Assert.Contains("broken", up.Response!.Error, StringComparison.Ordinal);
        Assert.False(await Apps.PodExistsAsync(f.Alice, job));
        Assert.False(File.Exists($"/run/user/{f.Alice.Uid}/portal-app-{job}.hosts"));
        ShellResult volumes = await LauncherFixture.PodmanAsync(f.Alice, "volume", "ls", "--quiet");
        Assert.DoesNotContain(LauncherProtocol.AppVolumeName(job, "scratch"), volumes.Stdout, StringComparison.Ordinal);
        Assert.Contains(LauncherRunner.AuditRecords(up), r => r.GetProperty("decision").GetString() == "failed");
    }

    [Fact]
    public async Task ADependencyThatNeverBecomesHealthy_StopsTheAppBeforeItsDependentStarts()
    {
        string job = LauncherRunner.NewJob();
        var sick = Apps.Service("sick", ["sleep", "300"]) with
        {
            Healthcheck = new HealthcheckSpec { Test = ["CMD", "false"], IntervalSeconds = 1, TimeoutSeconds = 2, Retries = 2 },
        };
        var dependent = Apps.Service("dependent", ["sleep", "300"]) with
        {
            DependsOn = [new DependencySpec { Service = "sick", Condition = DependencyConditions.Healthy }],
        };

        LauncherCall up = await LauncherRunner.RunAsync(f, Apps.Up(f.Alice.Name, job, new AppSpec { Services = [sick, dependent] }));

        Assert.Equal(LauncherExitCodes.OperationFailed, up.ExitCode);
        Assert.Contains("did not become healthy", up.Response!.Error, StringComparison.Ordinal);
        Assert.False(await Apps.PodExistsAsync(f.Alice, job));
        Assert.DoesNotContain(LauncherRunner.PodmanStarts(up), s => File.ReadAllText(s + ".argv").Contains("dependent", StringComparison.Ordinal)
            && File.ReadAllText(s + ".argv").Contains("\0run\0", StringComparison.Ordinal));
    }

    [Fact]
    public async Task EachServiceSeesOnlyItsOwnGpu_TheOwnerHoldsAclsOnBoth_AndRemoveRevokesThem()
    {
        string job = LauncherRunner.NewJob();
        try
        {
            const string show = "ls -1 /dev/ptest-gpu | tr '\\n' ' '; echo; echo CUDA=$CUDA_VISIBLE_DEVICES; echo gpu-check-done; exec sleep 300";
            LauncherCall up = await LauncherRunner.RunAsync(f, Apps.Up(f.Alice.Name, job, new AppSpec
            {
                Services = [Apps.Service("trainer", ["sh", "-c", show], gpus: ["0"]), Apps.Service("viewer", ["sh", "-c", show], gpus: ["1"])],
            }));

            Assert.True(up.ExitCode == 0, up.ToString());
            string trainer = await Apps.WaitForLogAsync(f, f.Alice, job, "trainer", "gpu-check-done");
            string viewer = await Apps.WaitForLogAsync(f, f.Alice, job, "viewer", "gpu-check-done");
            Assert.Contains("nvidia-uvm nvidia0 nvidiactl", trainer, StringComparison.Ordinal);
            Assert.DoesNotContain("nvidia1", trainer, StringComparison.Ordinal);
            Assert.Contains("CUDA=GPU-00000000-0000-0000-0000-000000000000", trainer, StringComparison.Ordinal);
            Assert.Contains("nvidia-uvm nvidia1 nvidiactl", viewer, StringComparison.Ordinal);
            Assert.DoesNotContain("nvidia0", viewer, StringComparison.Ordinal);
            Assert.Contains($"user:{f.Alice.Uid}:rw", (await Shell.CheckedAsync("/usr/bin/getfacl", "-n", Gpu0)), StringComparison.Ordinal);
            Assert.Contains($"user:{f.Alice.Uid}:rw", (await Shell.CheckedAsync("/usr/bin/getfacl", "-n", Gpu1)), StringComparison.Ordinal);

            LauncherCall remove = await LauncherRunner.RunAsync(f, Apps.Verb(LauncherVerbs.AppRemove, f.Alice.Name, job, stopSeconds: 0));

            Assert.True(remove.ExitCode == 0, remove.ToString());
            Assert.DoesNotContain($"user:{f.Alice.Uid}:", await Shell.CheckedAsync("/usr/bin/getfacl", "-n", Gpu0), StringComparison.Ordinal);
            Assert.DoesNotContain($"user:{f.Alice.Uid}:", await Shell.CheckedAsync("/usr/bin/getfacl", "-n", Gpu1), StringComparison.Ordinal);
        }
        finally
        {
            await Apps.RemoveAsync(f, f.Alice, job);
        }
    }

    [Fact]
    public async Task BobCannotTouchAlicesApp()
    {
        string job = LauncherRunner.NewJob();
        try
        {
            LauncherCall up = await LauncherRunner.RunAsync(f, Apps.Up(f.Alice.Name, job, new AppSpec { Services = [Apps.Service("only", ["sleep", "300"])] }));
            Assert.True(up.ExitCode == 0, up.ToString());

            LauncherCall stop = await LauncherRunner.RunAsync(f, Apps.Verb(LauncherVerbs.AppStop, f.Bob.Name, job, stopSeconds: 0));
            LauncherCall inspect = await LauncherRunner.RunAsync(f, Apps.Verb(LauncherVerbs.AppInspect, f.Bob.Name, job));

            Assert.NotEqual(0, stop.ExitCode);
            Assert.Empty(inspect.Response?.Containers ?? []);
            Assert.All(await Apps.InspectAsync(f, f.Alice, job), s => Assert.Equal("running", s.State));
        }
        finally
        {
            await Apps.RemoveAsync(f, f.Alice, job);
        }
    }
}
