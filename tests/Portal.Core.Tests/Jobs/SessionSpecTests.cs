using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Core.Sessions;
using Portal.Launcher.Protocol;

namespace Portal.Core.Tests.Jobs;

/// <summary>Sessions in the domain: the command the container starts with, and the rules the launcher shares.</summary>
public sealed class SessionSpecTests
{
    [Fact]
    public void Jupyter_ListensOnTheSessionSocket_UnderItsPath_WithItsTokenOff()
    {
        IReadOnlyList<string> argv = SessionLaunch.Command(new SessionApp(SessionKind.Jupyter), ["jupyter", "notebook"], 42);

        Assert.Equal(["jupyter", "notebook", "--no-browser", "--allow-root"], argv.Take(4));
        foreach (string cls in new[] { "ServerApp", "NotebookApp" })
        {
            Assert.Contains($"--{cls}.sock={SessionRules.SocketInContainer}", argv);
            Assert.Contains($"--{cls}.sock_mode=0660", argv);
            Assert.Contains($"--{cls}.base_url=/s/42/", argv);
            Assert.Contains($"--{cls}.token=", argv);
            Assert.Contains($"--{cls}.password=", argv);
        }
    }

    [Fact]
    public void Jupyter_WithoutACommand_RunsJupyterLab_AndVsCodeRunsCodeServerOnTheSocket()
    {
        Assert.Equal(["jupyter", "lab"], SessionLaunch.Command(new SessionApp(SessionKind.Jupyter), [], 7).Take(2));
        Assert.Equal(["code-server", "--socket", SessionRules.SocketInContainer, "--socket-mode", "660"],
            SessionLaunch.Command(new SessionApp(SessionKind.VsCode), [], 7).Take(5));
    }

    [Fact]
    public void AWebApp_KeepsItsCommand_AndOnATcpPortGetsTheBridge()
    {
        var app = new SessionApp(SessionKind.WebApp, 6006);

        Assert.Equal(["tensorboard"], SessionLaunch.Command(app, ["tensorboard"], 1));
        Assert.Equal(6006, SessionLaunch.Spec(app).BridgePort);
        Assert.Null(SessionLaunch.Spec(new SessionApp(SessionKind.Jupyter)).BridgePort);
    }

    [Theory]
    [InlineData(SessionKind.WebApp, 6006, new string[0], "Command")]
    [InlineData(SessionKind.WebApp, 70000, new[] { "app" }, "Session")]
    [InlineData(SessionKind.Jupyter, 8888, new string[0], "Session")]
    public void ASessionTheLauncherWouldRefuse_IsRefusedAtSubmit(SessionKind kind, int port, string[] command, string field)
    {
        JobSpec spec = Spec() with { Session = new SessionApp(kind, port), Command = command };

        IReadOnlyList<FieldError> errors = JobSpecValidator.Validate(spec, Context());

        Assert.Contains(errors, e => e.Field == field);
    }

    [Theory]
    [InlineData("/run/portal-session")]
    [InlineData("/.portal/sockbridge")]
    public void AMountOverTheSessionFolder_IsRefusedAtSubmit(string target)
    {
        JobSpec spec = Spec() with { Mounts = [new Portal.Launcher.Protocol.MountSpec("/home/alice/data", target, false)] };

        Assert.Contains(JobSpecValidator.Validate(spec, Context()), e => e.Field == nameof(JobSpec.Mounts));
    }

    [Fact]
    public void AJupyterSession_IsAccepted()
    {
        JobSpec spec = Spec() with { Session = new SessionApp(SessionKind.Jupyter) };

        Assert.Empty(JobSpecValidator.Validate(spec, Context()));
    }

    private static JobSpec Spec() => new() { Name = "nb", Image = "localhost/portal-jupyter:deb12", Walltime = TimeSpan.FromHours(1) };

    private static JobSubmitContext Context() => new(
        IsAdmin: false,
        new EffectiveQuota(MaxConcurrentGpus: 2, MaxConcurrentJobs: 4, MaxQueuedJobs: 10, GpuHoursPerWindow: 100,
            Window: TimeSpan.FromDays(7), MaxWalltime: TimeSpan.FromHours(24), MaxCpusPerJob: 16, MaxMemoryMiBPerJob: 65536),
        QueuedJobsOfOwner: 0,
        [new MountRoot("/home/alice", ReadOnly: false)],
        []);
}
