using Portal.Core.Apps;

namespace Portal.Core.Tests.Apps;

public sealed class AppSpecValidatorTests
{
    private static AppSpec Parse(string text) => AppFileParser.Parse(text).Spec ?? throw new InvalidOperationException(string.Join("\n", AppFileParser.Parse(text).Problems));

    [Fact]
    public void AnAppWithinTheQuota_HasNoProblems_AndIsScheduledAsItsServicesSummed()
    {
        // Arrange
        var spec = Parse("""
            services:
              a: {image: localhost/busybox, cpus: 2, mem_limit: 1g, deploy: {resources: {reservations: {devices: [{count: 1, capabilities: [gpu]}]}}}}
              b: {image: localhost/busybox, volumes: ["/home/ptest-alice/x:/x", "/srv/datasets/imagenet:/data:ro"]}
            """);

        // Act
        var problems = AppSpecValidator.Validate(spec, AppTestContext.Submission, AppTestContext.Context());
        var job = AppSpecValidator.AsJob(spec, AppTestContext.Submission);

        // Assert
        Assert.Empty(problems);
        Assert.Equal(1, job.Gpus.Count);
        Assert.Equal(3, job.Cpus);
        Assert.Equal(1024 + AppSpecValidator.DefaultServiceMemoryMiB, job.MemoryMiB);
    }

    [Fact]
    public void GpusOfAllServices_AreSummedAgainstTheQuota()
    {
        // Arrange: two services with 2 GPUs each; the limit is 2 and the box has 2.
        const string gpus = "deploy: {resources: {reservations: {devices: [{count: 2, capabilities: [gpu]}]}}}";
        var spec = Parse($"services:\n  a: {{image: localhost/busybox, {gpus}}}\n  b: {{image: localhost/busybox, {gpus}}}\n");

        // Act
        var problems = AppSpecValidator.Validate(spec, AppTestContext.Submission, AppTestContext.Context());

        // Assert
        Assert.Contains(problems, p => p.Key == "GPUs (all services)" && p.Message.Contains("your limit is 2", StringComparison.Ordinal));
    }

    [Fact]
    public void CpusAndMemory_AreSummedAgainstThePerJobLimits()
    {
        // Arrange: 5 + 5 CPUs against a limit of 8.
        var spec = Parse("services:\n  a: {image: localhost/busybox, cpus: 5}\n  b: {image: localhost/busybox, cpus: 5, mem_limit: 40g}\n");

        // Act
        var problems = AppSpecValidator.Validate(spec, AppTestContext.Submission, AppTestContext.Context());

        // Assert
        Assert.Contains(problems, p => p.Key == "CPUs (all services)");
        Assert.Contains(problems, p => p.Key == "memory (all services)");
    }

    [Theory]
    [InlineData("volumes: [\"/etc:/etc2\"]", "services.a.volumes", 3)]
    [InlineData("volumes: [\"/srv/datasets/x:/x\"]", "services.a.volumes", 3)]
    [InlineData("volumes: [\"/home/ptest-alice:/proc/x\"]", "services.a.volumes", 3)]
    [InlineData("volumes: [\"/home/ptest-alice/a:/x\", \"/home/ptest-alice/b:/x\"]", "services.a.volumes", 3)]
    [InlineData("image: -v", "services.a.image", 3)]
    [InlineData("environment: {CUDA_VISIBLE_DEVICES: \"0\"}", "services.a.environment", 3)]
    [InlineData("environment: {\"A-B\": x}", "services.a.environment", 3)]
    [InlineData("working_dir: ../x", "services.a.working_dir", 3)]
    public void AServiceValue_ThatAJobCouldNotHave_IsRefusedAtItsLine(string setting, string key, int line)
    {
        // Arrange
        var text = "services:\n  a:\n    " + setting + (setting.StartsWith("image", StringComparison.Ordinal) ? "\n" : "\n    image: localhost/busybox\n");
        var spec = Parse(text);

        // Act
        var problems = AppSpecValidator.Validate(spec, AppTestContext.Submission, AppTestContext.Context());

        // Assert
        Assert.Contains(problems, p => p.Key == key && p.Line == line);
    }
}
