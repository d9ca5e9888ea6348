using Portal.Launcher.Native;
using Portal.Launcher.Podman;
using Portal.Launcher.Protocol;

namespace Portal.Launcher.Tests.Unit;

public sealed class AppArgsTests
{
    private static readonly UserAccount Alice = new("alice", 1500, 1500, "/home/alice", [1500, 5000]);

    private static readonly string[] Podman = ["/usr/bin/podman", "--default-mounts-file", "/run/x/mounts.conf"];

    private static List<string> Service(AppServiceSpec service) =>
        PodmanArgs.Run(Podman, "42", service.Run, Alice, RequestValidatorTests.Policy, null, [], new PodMember(service, "/run/user/1500/portal-app-42.hosts"));

    [Fact]
    public void AService_GetsEveryHardeningOptionAJobGets_JoinsThePod_AndSetsNoNetworkOfItsOwn()
    {
        List<string> job = PodmanArgs.Run(Podman, "42", new RunSpec { Image = "busybox" }, Alice, RequestValidatorTests.Policy, null, []);
        List<string> service = Service(new AppServiceSpec { Name = "web", Run = new RunSpec { Image = "busybox" } });

        foreach (string option in new[] { "--pull=never", "--runtime", "--security-opt", "--cap-drop", "--log-opt" })
        {
            Assert.Equal(job[job.IndexOf(option) + (option.Contains('=', StringComparison.Ordinal) ? 0 : 1)],
                service[service.IndexOf(option) + (option.Contains('=', StringComparison.Ordinal) ? 0 : 1)]);
        }

        Assert.Equal("portal-app-42", service[service.IndexOf("--pod") + 1]);
        Assert.DoesNotContain("--network", service);
        Assert.Equal("portal-app-42-web", service[service.IndexOf("--name") + 1]);
        Assert.Contains("portal.app=42", service);
        Assert.Contains("portal.service=web", service);
        Assert.DoesNotContain("portal.job=42", service);
        Assert.Contains("type=bind,source=/run/user/1500/portal-app-42.hosts,target=/etc/hosts,ro=true", service);
    }

    [Fact]
    public void AService_SetsNoLimitOfItsOwn_TheAppsCgroupHoldsThem()
    {
        List<string> service = Service(new AppServiceSpec { Name = "web", Run = new RunSpec { Image = "busybox", Cpus = 1.5, MemoryMiB = 512 } });

        Assert.DoesNotContain("--cpus", service);
        Assert.DoesNotContain("--memory", service);
        Assert.DoesNotContain("--pids-limit", service);
    }

    [Fact]
    public void AnAppsCgroupLimits_AreItsServicesSums_AndThePolicysTaskLimit()
    {
        var app = new AppSpec
        {
            Services =
            [
                new AppServiceSpec { Name = "web", Run = new RunSpec { Image = "busybox", Cpus = 1.5, MemoryMiB = 512 } },
                new AppServiceSpec { Name = "db", Run = new RunSpec { Image = "busybox", Cpus = 0.5, MemoryMiB = 256 } },
            ],
        };

        Cgroups.JobLimits limits = Verbs.JobDevices.Limits(app, RequestValidatorTests.Policy, "vfs");

        Assert.Equal((2.0, 768L << 20, RequestValidatorTests.Policy.PidsLimit), (limits.Cpus, limits.MemoryBytes, limits.Pids));
        Assert.Equal(Cgroups.DeviceRule.Standard.Count, limits.Devices.Count);
    }

    [Fact]
    public void AnAppWithAServiceWithoutALimit_IsUnboundedThere_AsThatServiceAloneWouldBe()
    {
        var app = new AppSpec
        {
            Services =
            [
                new AppServiceSpec { Name = "web", Run = new RunSpec { Image = "busybox", Cpus = 1.5, MemoryMiB = 512 } },
                new AppServiceSpec { Name = "db", Run = new RunSpec { Image = "busybox", MemoryMiB = 256 } },
            ],
        };

        Cgroups.JobLimits limits = Verbs.JobDevices.Limits(app, RequestValidatorTests.Policy, "vfs");

        Assert.Equal(((double?)null, (long?)(768L << 20)), (limits.Cpus, limits.MemoryBytes));
    }

    [Fact]
    public void EntrypointVolumesLabelsAndHealthCheck_ComeBeforeTheImage_AsSingleArgvItems()
    {
        List<string> argv = Service(new AppServiceSpec
        {
            Name = "web",
            Run = new RunSpec { Image = "busybox", Command = ["-c", "echo hi"] },
            Entrypoint = ["/bin/sh"],
            Volumes = [new AppVolumeMountSpec { Volume = "data", Target = "/data", ReadOnly = true }],
            Labels = new Dictionary<string, string> { ["team"] = "vision" },
            Healthcheck = new HealthcheckSpec { Test = ["CMD", "wget", "-q", "http://127.0.0.1/"], Retries = 5, TimeoutSeconds = 3 },
        });

        int image = argv.IndexOf("busybox");
        Assert.Equal(["-c", "echo hi"], argv[(image + 1)..]);
        Assert.Equal("[\"/bin/sh\"]", argv[argv.IndexOf("--entrypoint") + 1]);
        Assert.Contains("type=volume,source=portal-app-42-data,target=/data,ro=true", argv);
        Assert.Contains("team=vision", argv);
        Assert.Equal("[\"wget\",\"-q\",\"http://127.0.0.1/\"]", argv[argv.IndexOf("--health-cmd") + 1]);
        Assert.Equal("disable", argv[argv.IndexOf("--health-interval") + 1]);
        Assert.Equal("5", argv[argv.IndexOf("--health-retries") + 1]);
        Assert.Equal("3s", argv[argv.IndexOf("--health-timeout") + 1]);
        Assert.True(argv.IndexOf("--health-cmd") < image);
    }

    [Theory]
    [InlineData(new[] { "CMD", "true" }, "[\"CMD-SHELL\",\"true\"]")]
    [InlineData(new[] { "CMD", "wget", "x y" }, "[\"wget\",\"x y\"]")]
    [InlineData(new[] { "CMD-SHELL", "curl -f localhost || exit 1" }, "[\"CMD-SHELL\",\"curl -f localhost || exit 1\"]")]
    public void HealthCommands_AreWrittenTheWayPodman431ReadsThem(string[] test, string expected) =>
        Assert.Equal(expected, PodmanArgs.HealthCommand(test));

    [Fact]
    public void PodCreate_HasNoNetwork_AndTheAppsLabels()
    {
        List<string> argv = PodmanArgs.PodCreate(Podman, "42", "alice");

        Assert.Equal("none", argv[argv.IndexOf("--network") + 1]);
        Assert.Contains("portal.app=42", argv);
        Assert.Contains("portal.owner=alice", argv);
        Assert.DoesNotContain("--add-host", argv);
    }

    [Fact]
    public void ServiceLogs_NameTheServicesContainer()
    {
        List<string> argv = PodmanArgs.Logs(Podman, "42", new LogsSpec { Service = "web" });

        Assert.Equal(["--", "portal-app-42-web"], argv[^2..]);
    }

    [Fact]
    public void TheWebFront_GetsTheSessionFolderAndTheBridgeAsASessionsRunDoes_AndTheOtherServicesDoNot()
    {
        var policy = RequestValidatorTests.Policy with
        {
            Sessions = new Policy.SessionPolicy { Dir = "/run/portal-sessions", Group = "portal-proxy", Bridge = "/usr/libexec/portal/sockbridge" },
        };
        var front = new AppServiceSpec
        {
            Name = "ui",
            Run = new RunSpec { Image = "busybox", Command = ["httpd", "-f", "-p", "127.0.0.1:8080"], Session = new SessionSpec { BridgePort = 8080 } },
        };
        var worker = new AppServiceSpec { Name = "worker", Run = new RunSpec { Image = "busybox", Command = ["sleep", "300"] } };
        const string hosts = "/run/user/1500/portal-app-42.hosts";

        List<string> ui = PodmanArgs.Run(Podman, "42", front.Run, Alice, policy, null, [], new PodMember(front, hosts), "/run/portal-sessions/42");
        List<string> other = PodmanArgs.Run(Podman, "42", worker.Run, Alice, policy, null, [], new PodMember(worker, hosts), sessionFolder: null);

        Assert.Contains("type=bind,source=/run/portal-sessions/42,target=/run/portal-session", ui);
        Assert.Equal("0007", ui[ui.IndexOf("--umask") + 1]);
        Assert.Contains("type=bind,source=/usr/libexec/portal/sockbridge,target=/.portal/sockbridge,ro=true", ui);
        Assert.Equal("/.portal/sockbridge", ui[ui.IndexOf("--entrypoint") + 1]);
        Assert.Single(ui, "--entrypoint");
        Assert.Equal(["busybox", "/run/portal-session/http.sock", "8080", "--", "httpd", "-f", "-p", "127.0.0.1:8080"], ui[(ui.IndexOf("--") + 1)..]);
        Assert.Equal("portal-app-42", ui[ui.IndexOf("--pod") + 1]);
        Assert.DoesNotContain(other, a => a.Contains("portal-session", StringComparison.Ordinal) || a.Contains("sockbridge", StringComparison.Ordinal));
    }
}
