using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Jobs;
using Portal.Web.Tests.Components.Gpus;
using Portal.Web.Tests.Infrastructure;

namespace Portal.Web.Tests.Jobs;

/// <summary>/metrics for GPUs: per GPU from the monitor's readings (a fake nvidia-smi reporting the fixture's GPU
/// UUIDs), per user from the ledger while a real job holds a GPU.</summary>
[Collection(JobHostGroup.Name)]
public sealed class GpuMetricsTests(JobHostFixture fixture)
{
    [Fact]
    public async Task Metrics_show_each_gpu_and_charge_a_held_gpu_to_the_user_whose_job_holds_it()
    {
        using var box = FakeGpuBox.Create([new FakeGpu(GpuCaptures.H100), new FakeGpu(GpuCaptures.L40S)], JobHostFixture.GpuUuids);
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 2);
        var portal = t.StartPortal(new Dictionary<string, string>
        {
            ["Portal:Gpus:SearchPath"] = box.SearchPath,
            ["Portal:Metrics:RefreshInterval"] = "00:00:00.5",
        });
        var job = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sh", "-c", "until [ -e /tmp/done ]; do sleep 0.2; done"], gpus: 1));
        portal.Services.GetRequiredService<JobRunner>().RequestPass(SchedulingCause.JobSubmitted);
        var held = (await t.WaitForStateAsync(job, JobState.Running)).AssignedGpuUuids.Single();
        using var http = portal.CreateClient();

        var metrics = await Eventually.UntilAsync(() => http.GetStringAsync("/metrics"),
            m => PrometheusText.Value(m, "portal_user_gpus", ("user", fixture.Alice.Name)) == 1
                && PrometheusText.Value(m, "portal_user_gpu_memory_used_bytes", ("user", fixture.Alice.Name)) is not null,
            TimeSpan.FromSeconds(30), "alice's GPU in /metrics");

        foreach (var uuid in JobHostFixture.GpuUuids)
        {
            foreach (var series in new[] { "portal_gpu_utilization_percent", "portal_gpu_memory_used_bytes", "portal_gpu_memory_total_bytes" })
            {
                Assert.True(PrometheusText.Value(metrics, series, ("gpu", uuid)) is not null, $"{series} of {uuid} is missing:\n{metrics}");
            }
        }

        Assert.True(PrometheusText.Value(metrics, "portal_gpu_memory_total_bytes", ("gpu", held)) > 1024L * 1024 * 1024, metrics);
        Assert.True(PrometheusText.Value(metrics, "portal_user_gpu_utilization_percent", ("user", fixture.Alice.Name)) is not null, metrics);
        Assert.Null(PrometheusText.Value(metrics, "portal_user_gpus", ("user", fixture.Bob.Name)));

        var done = await JobHostFixture.PodmanAsync(fixture.Alice, "exec", string.Create(System.Globalization.CultureInfo.InvariantCulture, $"portal-job-{job}"), "touch", "/tmp/done");
        Assert.True(done.ExitCode == 0, done.ToString());
        await t.WaitForStateAsync(job, JobState.Succeeded);
        await Eventually.UntilAsync(() => http.GetStringAsync("/metrics"),
            m => PrometheusText.Value(m, "portal_user_gpus", ("user", fixture.Alice.Name)) is null, TimeSpan.FromSeconds(30),
            "alice's GPU to leave /metrics once her job ended");
    }
}
