using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;
using Portal.Launcher.Slurm;
using Portal.Launcher.Validation;

namespace Portal.Launcher.Tests.Unit;

/// <summary>An app submitted to Slurm: what the launcher accepts, and what it refuses before anything reaches sbatch.</summary>
public sealed class SlurmAppRequestTests
{
    private static readonly LauncherPolicy Policy = SlurmRequestTests.Policy;

    private static readonly LauncherPolicy WithNodeBridge = Policy with { Slurm = SlurmRequestTests.Slurm with { NodeBridge = "/usr/libexec/portal/sockbridge" } };

    private static AppServiceSpec Service(string name, int? gpus = null, double? cpus = null, long? memory = null) => new()
    {
        Name = name, Run = new RunSpec { Image = "localhost/busybox:latest", Command = ["sleep", "1"], Cpus = cpus, MemoryMiB = memory }, GpuCount = gpus,
    };

    private static LauncherRequest Submit(AppSpec app, int gpus = 0, RunSpec? run = null) => new()
    {
        Version = 1, Verb = LauncherVerbs.SlurmSubmit, User = "alice", Job = "42", App = app, Run = run,
        Slurm = new SlurmSpec { Gpus = gpus, WalltimeMinutes = 60, Partitions = ["gpu"] },
    };

    private static string Refusal(LauncherRequest request, LauncherPolicy? policy = null) =>
        Assert.Throws<RequestRefusedException>(() => RequestValidator.Validate(request, policy ?? Policy)).Message;

    [Fact]
    public void AnApp_WhoseServicesGpuCountsAddUpToTheJobs_IsAccepted_AndItsLimitsAreNotThisHosts() =>
        RequestValidator.Validate(Submit(new AppSpec { Services = [Service("db", 1, cpus: Environment.ProcessorCount + 64), Service("web", 2), Service("idle")] }, gpus: 3), Policy);

    [Fact]
    public void GpuCounts_ThatDoNotAddUpToWhatSlurmIsAskedFor_AreRefused() =>
        Assert.Contains("take 1 GPUs in all (gpuCount), but slurm.gpus asks Slurm for 2", Refusal(Submit(new AppSpec { Services = [Service("db", 1)] }, gpus: 2)), StringComparison.Ordinal);

    [Fact]
    public void AServiceNamingGpus_IsRefused_BecauseSlurmPicksThem() =>
        Assert.Contains("Slurm picks the GPUs; give their number in gpuCount",
            Refusal(Submit(new AppSpec { Services = [Service("db") with { Run = Service("db").Run with { Gpus = ["0"] } }] })), StringComparison.Ordinal);

    [Theory]
    [InlineData(-1)]
    [InlineData(SlurmLimits.MaxGpus + 1)]
    public void AGpuCountOutsideItsBounds_IsRefused(int gpus) =>
        Assert.Contains("gpuCount must be between 0", Refusal(Submit(new AppSpec { Services = [Service("db", gpus)] }, gpus)), StringComparison.Ordinal);

    [Fact]
    public void AGpuCount_OnOneBox_IsRefused()
    {
        var up = new LauncherRequest { Version = 1, Verb = LauncherVerbs.AppUp, User = "alice", Job = "42", App = new AppSpec { Services = [Service("db", 1)] } };
        Assert.Contains("gpuCount is for an app on a Slurm cluster", Refusal(up), StringComparison.Ordinal);
    }

    [Fact]
    public void ASubmit_WithBothARunAndAnApp_IsRefused() =>
        Assert.Contains("does not take a 'run' section",
            Refusal(Submit(new AppSpec { Services = [Service("db")] }, run: new RunSpec { Image = "busybox" })), StringComparison.Ordinal);

    [Fact]
    public void TheServicesSummedMemory_IsHeldToOneJobsBounds() =>
        Assert.Contains("The app's services' memoryMiB must be between",
            Refusal(Submit(new AppSpec { Services = [Service("a", memory: SlurmLimits.MaxMemoryMiB), Service("b", memory: 100)] })), StringComparison.Ordinal);

    [Fact]
    public void TheAppRules_StillHold_OnSlurm() =>
        Assert.Contains("which is not a service started before it", Refusal(Submit(new AppSpec
        {
            Services = [Service("web") with { DependsOn = [new DependencySpec { Service = "db", Condition = DependencyConditions.Started }] }],
        })), StringComparison.Ordinal);

    [Fact]
    public void AWebFront_IsRefused_WhenThePolicyNamesNoSockbridgeOnTheNodes_AndAcceptedWhenItDoes()
    {
        var app = new AppSpec { Services = [Service("web") with { Run = Service("web").Run with { Command = ["httpd"], Session = new SessionSpec { BridgePort = 8080 } } }] };
        Assert.Contains("names no nodeBridge", Refusal(Submit(app)), StringComparison.Ordinal);
        RequestValidator.Validate(Submit(app), WithNodeBridge);
    }

    [Fact]
    public void AnAppAsksSlurm_ForItsServicesSums()
    {
        var app = new AppSpec { Services = [Service("a", cpus: 1.5, memory: 300), Service("b", cpus: 1, memory: 200), Service("c")] };
        Assert.Equal((2.5, 500L), SlurmRequestRules.AppTotals(app));
        Assert.Equal((null, null), SlurmRequestRules.AppTotals(new AppSpec { Services = [Service("a")] }));
    }

    [Fact]
    public void ServiceLogs_AreReadBySlurmLog_AndAServiceNameThatIsNoNameIsRefused()
    {
        var log = new LauncherRequest
        {
            Version = 1, Verb = LauncherVerbs.SlurmLog, User = "alice", Job = "42", Slurm = new SlurmSpec { JobId = 7 }, Logs = new LogsSpec { Service = "db" },
        };
        RequestValidator.Validate(log, Policy);
        Assert.Contains("is not a service name", Refusal(log with { Logs = new LogsSpec { Service = "../../.ssh/id" } }), StringComparison.Ordinal);
        Assert.Equal("portal-42-7.db.log", SlurmNames.ServiceOutputFile("42", 7, "db"));
    }
}
