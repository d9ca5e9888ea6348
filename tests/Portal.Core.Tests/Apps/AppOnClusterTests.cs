using Portal.Core.Apps;
using Portal.Core.Jobs;

namespace Portal.Core.Tests.Apps;

/// <summary>An app submitted where jobs run on a Slurm cluster: one Slurm job, checked against the cluster's nodes
/// rather than this host, and refused at submit where the launcher would refuse it later.</summary>
public sealed class AppOnClusterTests
{
    private const string WithFront = """
        services:
          db:
            image: localhost/busybox
            deploy: {resources: {reservations: {devices: [{count: 1, capabilities: [gpu]}]}}}
          web:
            image: localhost/busybox
            command: httpd -f -p 127.0.0.1:8080
            x-portal-web: {port: 8080}
        """;

    private static JobSubmitContext OnCluster(int maxGpusPerNode, bool sessions) =>
        AppTestContext.Context() with { GpuUuidsOnBox = [], Cluster = new ClusterCapacity(maxGpusPerNode, sessions) };

    private static IReadOnlyList<FieldError> Errors(string file, JobSubmitContext context)
    {
        var job = AppSpecValidator.AsAppJob(AppFileParser.Parse(file).Spec!, AppTestContext.Submission, file);
        return JobSpecValidator.Validate(job, context);
    }

    [Fact]
    public void AnApp_IsAccepted_OnACluster_WhoseNodesRunSessions_ThoughThisHostHasNoGpu() =>
        Assert.Empty(Errors(WithFront, OnCluster(maxGpusPerNode: 2, sessions: true)));

    [Fact]
    public void AWebFront_IsRefused_WhereTheLauncherPolicyNamesNoSockbridgeOnTheNodes()
    {
        var error = Assert.Single(Errors(WithFront, OnCluster(maxGpusPerNode: 2, sessions: false)));

        Assert.Equal(AppSpecValidator.FileField, error.Field);
        Assert.Contains("services.web", error.Message, StringComparison.Ordinal);
        Assert.Contains("slurm.nodeBridge", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnAppWithoutAFront_NeedsNoSessionsOnTheCluster() =>
        Assert.Empty(Errors("services:\n  worker: {image: localhost/busybox}\n", OnCluster(maxGpusPerNode: 0, sessions: false)));

    [Fact]
    public void AnAppsGpus_AreCheckedAgainstTheLargestNode_AsOneJob()
    {
        const string Two = """
            services:
              a:
                image: localhost/busybox
                deploy: {resources: {reservations: {devices: [{count: 1, capabilities: [gpu]}]}}}
              b:
                image: localhost/busybox
                deploy: {resources: {reservations: {devices: [{count: 1, capabilities: [gpu]}]}}}
            """;

        var error = Assert.Single(Errors(Two, OnCluster(maxGpusPerNode: 1, sessions: true)));

        Assert.Contains("GPUs (all services)", error.Message, StringComparison.Ordinal);
        Assert.Contains("the cluster's largest node has 1", error.Message, StringComparison.Ordinal);
    }
}
