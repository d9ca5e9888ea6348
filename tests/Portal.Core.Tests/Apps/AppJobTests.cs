using Portal.Core.Apps;
using Portal.Core.Jobs;
using Portal.Launcher.Protocol;

namespace Portal.Core.Tests.Apps;

public sealed class AppJobTests
{
    private const string File = "services:\n  a: {image: localhost/busybox, cpus: 2}\n  b: {image: localhost/busybox, mem_limit: 512m}\n";

    [Fact]
    public void AnAppJob_BuiltFromItsFile_IsValid()
    {
        // Arrange
        var spec = AppFileParser.Parse(File).Spec!;
        var job = AppSpecValidator.AsAppJob(spec, AppTestContext.Submission, File);

        // Act
        var errors = JobSpecValidator.Validate(job, AppTestContext.Context());

        // Assert
        Assert.Empty(errors);
        Assert.True(job.IsApp);
        Assert.Equal(3, job.Cpus);
        Assert.Equal(AppSpecValidator.DefaultServiceMemoryMiB + 512, job.MemoryMiB);
    }

    [Fact]
    public void AnAppJob_WhoseResourcesAreNotItsFilesSum_IsRefused()
    {
        // Arrange: a caller that claims less than the file asks for.
        var spec = AppFileParser.Parse(File).Spec!;
        var job = AppSpecValidator.AsAppJob(spec, AppTestContext.Submission, File) with { Cpus = 0.5 };

        // Act
        var errors = JobSpecValidator.Validate(job, AppTestContext.Context());

        // Assert
        Assert.Contains(errors, e => e.Field == "" && e.Message.Contains("summed", StringComparison.Ordinal));
    }

    [Fact]
    public void AnAppJob_WhoseFileIsRefused_ReportsEachProblemWithItsLine()
    {
        // Arrange
        var job = new JobSpec { Name = "x", Image = "localhost/busybox", Walltime = TimeSpan.FromHours(1), AppFile = "services:\n  a:\n    image: localhost/busybox\n    privileged: true\n" };

        // Act
        var errors = JobSpecValidator.Validate(job, AppTestContext.Context());

        // Assert
        var error = Assert.Single(errors);
        Assert.Equal(AppSpecValidator.FileField, error.Field);
        Assert.StartsWith("line 4: services.a.privileged:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAppsServices_AreOneJob_RunningWhileAnyRuns_EndedWithTheFirstFailure()
    {
        // Arrange
        ContainerState Service(string name, string state, int? exit = null) => new() { Name = name, Service = name, State = state, ExitCode = exit };

        // Act
        var running = AppStates.Aggregate("7", "alice", [Service("a", "exited", 0), Service("b", "running")]);
        var failed = AppStates.Aggregate("7", "alice", [Service("a", "exited", 0), Service("b", "exited", 3)]);
        var succeeded = AppStates.Aggregate("7", "alice", [Service("a", "exited", 0), Service("b", "exited", 0)]);

        // Assert
        Assert.Equal(("running", (int?)null), (running.State, running.ExitCode));
        Assert.Equal(("exited", (int?)3), (failed.State, failed.ExitCode));
        Assert.Equal(("exited", (int?)0), (succeeded.State, succeeded.ExitCode));
        Assert.Equal(("portal-app-7", "7", "7"), (running.Name, running.Job, running.App));
    }
}
