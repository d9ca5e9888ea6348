using Portal.Launcher.Policy;
using Portal.Launcher.Protocol;
using Portal.Launcher.Validation;

namespace Portal.Launcher.Tests.Unit;

public sealed class RequestValidatorTests
{
    internal static readonly LauncherPolicy Policy = new()
    {
        Version = 1, MinUid = 1000, Group = "portal-users", Podman = "/usr/bin/podman", Runtime = "runc",
        PidsLimit = 256, LogMaxBytes = 1 << 20,
        AuditLog = "/var/log/portal-launcher/audit.log",
        Gpus = [new PolicyGpu { Id = "0", Node = "/dev/nvidia0" }, new PolicyGpu { Id = "1", Node = "/dev/nvidia1" }],
    };

    [Fact]
    public void AFullRunRequest_IsAccepted()
    {
        var request = new LauncherRequest
        {
            Version = 1, Verb = "run", User = "alice", Job = "42",
            Run = new RunSpec
            {
                Image = "localhost/pytorch:2.4", Command = ["python", "train.py", "--device", "cuda", "--lr=0.1"],
                Env = new Dictionary<string, string> { ["WANDB_MODE"] = "offline", ["HF_HOME"] = "/data/hf" },
                Gpus = ["1"], Mounts = [new MountSpec("/home/alice/data", "/data", ReadOnly: true)],
                Workdir = "/data",
            },
        };

        RequestValidator.Validate(request, Policy);
    }

    [Theory]
    [InlineData(4.5, null)]
    [InlineData(null, 16385L)]
    public void Limits_AboveThePolicysMaximum_AreRefused(double? cpus, long? memoryMiB)
    {
        var request = new LauncherRequest
        {
            Version = 1, Verb = "run", User = "alice", Job = "42",
            Run = new RunSpec { Image = "busybox", Cpus = cpus, MemoryMiB = memoryMiB },
        };

        var e = Assert.Throws<RequestRefusedException>(() => RequestValidator.Validate(request, Policy with { MaxCpus = 4, MaxMemoryMiB = 16384 }));
        Assert.Contains(cpus is null ? "memoryMiB must be between 6 and 16384" : "cpus must be between 0.01 and 4", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Limits_AtThePolicysMaximum_AreAccepted() =>
        RequestValidator.Validate(
            new LauncherRequest { Version = 1, Verb = "run", User = "alice", Job = "42", Run = new RunSpec { Image = "busybox", Cpus = 4, MemoryMiB = 16384 } },
            Policy with { MaxCpus = 4, MaxMemoryMiB = 16384 });

    [Theory]
    [InlineData("list")]
    [InlineData("images")]
    [InlineData("check")]
    public void UserVerbs_WithoutAJob_AreAccepted(string verb) =>
        RequestValidator.Validate(new LauncherRequest { Version = 1, Verb = verb, User = "alice" }, Policy);

    [Fact]
    public void Check_WithoutAUser_IsAccepted() =>
        RequestValidator.Validate(new LauncherRequest { Version = 1, Verb = "check" }, Policy);

    [Theory]
    [InlineData("/devices")]
    [InlineData("/system-data")]
    [InlineData("/process")]
    public void MountTargets_ThatOnlyLookLikeSystemDirectories_AreAccepted(string target) =>
        RequestValidator.Validate(new LauncherRequest
        {
            Version = 1, Verb = "run", User = "alice", Job = "1",
            Run = new RunSpec { Image = "busybox", Mounts = [new MountSpec("/home/alice", target)] },
        }, Policy);

    [Theory]
    [InlineData("/home/alice", "/home", true)]
    [InlineData("/home", "/home", true)]
    [InlineData("/homework", "/home", false)]
    [InlineData("/etc", "/home", false)]
    public void IsUnder_ComparesWholeSegments(string path, string root, bool expected) =>
        Assert.Equal(expected, PathRules.IsUnder(path, root));
}
