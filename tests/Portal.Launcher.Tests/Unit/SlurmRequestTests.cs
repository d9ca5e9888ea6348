using System.Text;
using Portal.Launcher.Native;
using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;
using Portal.Launcher.Slurm;
using Portal.Launcher.Validation;

namespace Portal.Launcher.Tests.Unit;

/// <summary>The Slurm verbs' requests, sbatch's argv and the policy's slurm section.</summary>
public sealed class SlurmRequestTests
{
    internal static readonly SlurmPolicy Slurm = new()
    {
        NodePodman = "/usr/bin/podman", NodeRuntime = "crun", Cgroups = "disabled", GpuDevices = "cdi", Partitions = ["gpu"],
        Config = "/etc/slurm/slurm.conf",
    };

    internal static readonly LauncherPolicy Policy = RequestValidatorTests.Policy with { Slurm = Slurm };

    private static readonly UserAccount Alice = new("alice", 1500, 1500, "/home/alice", [1500, 5000]);

    private static LauncherRequest Submit(RunSpec? run = null, SlurmSpec? slurm = null) => new()
    {
        Version = 1, Verb = LauncherVerbs.SlurmSubmit, User = "alice", Job = "42",
        Run = run ?? new RunSpec { Image = "localhost/pytorch:2.4", Command = ["python", "train.py"], Cpus = 4, MemoryMiB = 8192 },
        Slurm = slurm ?? new SlurmSpec { Gpus = 2, WalltimeMinutes = 120, Partitions = ["gpu"] },
    };

    private static string Refusal(LauncherRequest request, LauncherPolicy? policy = null) =>
        Assert.Throws<RequestRefusedException>(() => RequestValidator.Validate(request, policy ?? Policy)).Message;

    [Fact]
    public void ASubmitRequest_IsAccepted_AndItsLimitsAreNotHeldToThePortalHostsCpus() =>
        RequestValidator.Validate(Submit(new RunSpec { Image = "busybox", Cpus = Environment.ProcessorCount + 64 }), Policy);

    [Fact]
    public void SlurmVerbs_AreRefused_WhenThePolicyHasNoSlurmSection() =>
        Assert.Contains("needs a slurm section", Refusal(Submit(), RequestValidatorTests.Policy), StringComparison.Ordinal);

    [Fact]
    public void ASubmit_ThatNamesGpus_IsRefused_BecauseSlurmPicksThem() =>
        Assert.Contains("Slurm picks the GPUs", Refusal(Submit(new RunSpec { Image = "busybox", Gpus = ["0"] })), StringComparison.Ordinal);

    [Fact]
    public void APartition_ThePolicyDoesNotList_IsRefused() =>
        Assert.Contains("not one the launcher policy allows", Refusal(Submit(slurm: new SlurmSpec { Partitions = ["admin"] })), StringComparison.Ordinal);

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(SlurmLimits.MaxWalltimeMinutes + 1)]
    public void AWalltimeOutsideItsBounds_IsRefused(int minutes) =>
        Assert.Contains("walltimeMinutes", Refusal(Submit(slurm: new SlurmSpec { WalltimeMinutes = minutes })), StringComparison.Ordinal);

    private static readonly LauncherPolicy WithNodeBridge = Policy with { Slurm = Slurm with { NodeBridge = "/usr/libexec/portal/sockbridge" } };

    private static LauncherRequest Connect(long? jobId = 7) => new()
    {
        Version = 1, Verb = LauncherVerbs.SlurmConnect, User = "alice", Job = "42", Slurm = new SlurmSpec { JobId = jobId },
    };

    [Fact]
    public void ASubmit_WithASession_IsRefused_WhenThePolicyNamesNoSockbridgeOnTheNodes() =>
        Assert.Contains("names no nodeBridge", Refusal(Submit(new RunSpec { Image = "busybox", Session = new SessionSpec() })), StringComparison.Ordinal);

    [Fact]
    public void ASubmit_WithASession_IsAccepted_WhenThePolicyNamesTheNodesSockbridge_AndNoSessionsSectionIsNeeded()
    {
        Assert.Null(WithNodeBridge.Sessions);
        RequestValidator.Validate(Submit(new RunSpec { Image = "busybox", Command = ["httpd"], Session = new SessionSpec { BridgePort = 8080 } }), WithNodeBridge);
    }

    [Fact]
    public void ASubmit_OfABridgedSessionWithoutACommand_IsRefused_AsOnOneBox() =>
        Assert.Contains("needs its command", Refusal(Submit(new RunSpec { Image = "busybox", Session = new SessionSpec { BridgePort = 8080 } }), WithNodeBridge), StringComparison.Ordinal);

    [Fact]
    public void AConnect_IsRefused_WhenThePolicyNamesNoSockbridgeOnTheNodes() =>
        Assert.Contains("names no nodeBridge", Refusal(Connect()), StringComparison.Ordinal);

    [Fact]
    public void AConnect_NeedsSlurmsJobId_AndTakesNothingElse()
    {
        RequestValidator.Validate(Connect(), WithNodeBridge);
        Assert.Contains("needs slurm.jobId", Refusal(Connect(jobId: null), WithNodeBridge), StringComparison.Ordinal);
        Assert.Contains("takes only slurm.jobId", Refusal(Connect() with { Slurm = new SlurmSpec { JobId = 7, Gpus = 1 } }, WithNodeBridge), StringComparison.Ordinal);
        Assert.Contains("does not take a 'run' section", Refusal(Connect() with { Run = new RunSpec { Image = "busybox" } }, WithNodeBridge), StringComparison.Ordinal);
    }

    [Fact]
    public void TheRelayStep_IsOneOverlappingTaskOfThatJob_RunningTheNodesSockbridgeOnTheAppsSocket()
    {
        List<string> argv = SlurmArgs.Connect(WithNodeBridge.Slurm!, 7, SlurmNames.NodeSessionFolder(1500, 7) + "/http.sock");

        Assert.Equal(["/usr/bin/srun", "--jobid=7", "--overlap", "--unbuffered", "--quiet", "--nodes=1", "--ntasks=1", "--export=NONE",
            "--job-name=portal-relay", "--", "/usr/libexec/portal/sockbridge", "--connect", "/tmp/portal-run-1500/session-7/http.sock"], argv);
    }

    [Fact]
    public void ASubmit_StillGetsTheRunRules_ForItsCommandAndEnvironment()
    {
        Assert.Contains("NUL", Refusal(Submit(new RunSpec { Image = "busybox", Command = ["a\0b"] })), StringComparison.Ordinal);
        Assert.Contains("line break", Refusal(Submit(new RunSpec
        {
            Image = "busybox", Env = new Dictionary<string, string> { ["A"] = "x\n#SBATCH --uid=0" },
        })), StringComparison.Ordinal);
        Assert.Contains("Not a valid image reference", Refusal(Submit(new RunSpec { Image = "-v" })), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LauncherVerbs.SlurmCancel)]
    [InlineData(LauncherVerbs.SlurmLog)]
    public void CancelAndLog_NeedSlurmsJobId(string verb) =>
        Assert.Contains("slurm.jobId", Refusal(new LauncherRequest { Version = 1, Verb = verb, User = "alice", Job = "42", Slurm = new SlurmSpec() }), StringComparison.Ordinal);

    [Fact]
    public void ACancel_WithSubmitOptions_IsRefused() =>
        Assert.Contains("takes only slurm.jobId", Refusal(new LauncherRequest
        {
            Version = 1, Verb = LauncherVerbs.SlurmCancel, User = "alice", Job = "42", Slurm = new SlurmSpec { JobId = 7, Gpus = 1 },
        }), StringComparison.Ordinal);

    [Fact]
    public void TheSlurmSection_BelongsOnlyToSlurmVerbs() =>
        Assert.Contains("does not take a 'slurm' section", Refusal(new LauncherRequest
        {
            Version = 1, Verb = LauncherVerbs.Stop, User = "alice", Job = "42", Slurm = new SlurmSpec { JobId = 7 },
        }), StringComparison.Ordinal);

    [Fact]
    public void Sbatch_GetsTheScriptOnStdin_AndOnlyOptionsTheLauncherBuilt()
    {
        LauncherRequest request = Submit();

        List<string> argv = SlurmArgs.Sbatch(Slurm, "42", request.Run!.Cpus, request.Run.MemoryMiB, request.Slurm!, Alice, "0123456789abcdef");

        Assert.Equal(
            [
                "/usr/bin/sbatch", "--parsable", "--export=NONE", "--job-name=portal-42", "--chdir=/home/alice",
                "--output=/home/alice/.portal/slurm/portal-42-%j.log", "--open-mode=append", "--no-requeue", "--nodes=1",
                "--ntasks=1", "--cpus-per-task=4", "--mem=8192M", "--gres=gpu:2", "--time=120", "--partition=gpu",
                "--comment=portal-env:0123456789abcdef",
            ],
            argv);
    }

    [Fact]
    public void AFractionOfACpu_AsksSlurmForTheNextWholeOne()
    {
        List<string> argv = SlurmArgs.Sbatch(Slurm, "1", 0.5, null, new SlurmSpec(), Alice, null);

        Assert.Contains("--cpus-per-task=1", argv);
        Assert.DoesNotContain(argv, a => a.StartsWith("--gres", StringComparison.Ordinal) || a.StartsWith("--comment", StringComparison.Ordinal));
    }

    [Fact]
    public void TheTools_GetTheClustersConfig_AndNothingOfTheCallersEnvironment()
    {
        Dictionary<string, string> env = SlurmArgs.Environment(Alice, Slurm);

        Assert.Equal(["HOME", "LANG", "LOGNAME", "PATH", "SLURM_CONF", "USER"], env.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("/etc/slurm/slurm.conf", env["SLURM_CONF"]);
    }

    [Fact]
    public void TheOwnerCheck_AsksForExactlyOneJob_WithUnitSeparatedFields()
    {
        List<string> argv = SlurmArgs.OwnerQuery(Slurm, 77);

        Assert.Contains("--jobs=77", argv);
        Assert.Equal("--format=%U\u001f%j\u001f%T\u001f%k", argv[^1]);
    }

    [Fact]
    public void Scancel_IsFilteredByUserAndName_SoSlurmItselfRefusesAnotherJob() =>
        Assert.Equal(["/usr/bin/scancel", "--user=alice", "--name=portal-42", "77"], SlurmArgs.Scancel(Slurm, "alice", "42", 77));

    [Theory]
    [InlineData("123\n", 123L)]
    [InlineData("123;cluster\n", 123L)]
    [InlineData("", null)]
    [InlineData("sbatch: error: Batch job submission failed\n", null)]
    [InlineData("-5\n", null)]
    public void SbatchsParsableOutput_GivesTheJobId(string stdout, long? expected) =>
        Assert.Equal(expected, SlurmVerbs.ParseJobId(stdout));

    [Fact]
    public void TheShippedSlurmExample_ReadsAndPassesTheRules()
    {
        string repo = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(repo, "Portal.sln")))
        {
            repo = Path.GetDirectoryName(repo)!;
        }

        LauncherPolicy p = PolicyReader.Parse(File.ReadAllBytes(Path.Combine(repo, "deploy/launcher.slurm.json.example")));
        List<string> problems = [];
        SlurmPolicyRules.Validate(p.Slurm, problems);

        Assert.Empty(problems);
        Assert.Equal(("crun", "disabled", "cdi", null), (p.Slurm!.NodeRuntime, p.Slurm.Cgroups, p.Slurm.GpuDevices, p.Slurm.Config));
        Assert.Equal(["gpu", "debug"], p.Slurm.Partitions);
        Assert.Equal(("/usr/bin/srun", "/usr/libexec/portal/sockbridge"), (p.Slurm.Srun, p.Slurm.NodeBridge));
    }

    [Theory]
    [InlineData("\"nodeRuntime\":\"runc\",\"cgroups\":\"disabled\"", "needs slurm.nodeRuntime crun")]
    [InlineData("\"nodeRuntime\":\"crun\",\"cgroups\":\"off\"", "slurm.cgroups must be")]
    [InlineData("\"nodeRuntime\":\"crun\",\"cgroups\":\"inherit\",\"sbatch\":\"sbatch\"", "slurm.sbatch must be")]
    [InlineData("\"nodeRuntime\":\"crun\",\"cgroups\":\"inherit\",\"partitions\":[\"--uid=0\"]", "slurm.partitions")]
    [InlineData("\"nodeRuntime\":\"crun\",\"cgroups\":\"inherit\",\"srun\":\"srun\"", "slurm.srun must be")]
    [InlineData("\"nodeRuntime\":\"crun\",\"cgroups\":\"inherit\",\"nodeBridge\":\"/opt/my bridge\"", "slurm.nodeBridge must be")]
    public void ASlurmSectionThatCannotWork_IsAPolicyProblem(string fields, string problem)
    {
        string json = """{"version":1,"minUid":1000,"group":"g","podman":"/usr/bin/podman","runtime":"runc","pidsLimit":1,"logMaxBytes":4096,"auditLog":"/a","slurm":{"nodePodman":"/usr/bin/podman","gpuDevices":"none",""" + fields + "}}";
        List<string> problems = [];

        SlurmPolicyRules.Validate(PolicyReader.Parse(Encoding.UTF8.GetBytes(json)).Slurm, problems);

        Assert.Contains(problems, p => p.Contains(problem, StringComparison.Ordinal));
    }
}
