using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Data.Entities;
using Portal.Jobs;
using Portal.Launcher.Client;
using Portal.Web.Services.Audit;
using Portal.Web.Services.Gpus;
using Portal.Web.Tests.Components.Gpus;

namespace Portal.Web.Tests.Jobs;

/// <summary>
/// Ending use of a GPU outside its allocation, through the running portal and the real launcher (the job host's policy
/// allows <c>kill-gpu-process</c>; the portal's option is turned on here): a real job of alice holds one of two GPUs a
/// fake nvidia-smi reports, which lists on both GPUs a process of bob's outside any job and the job's own process. Bob's
/// process is ended (as bob, by the launcher) and audited; the job's process, foreign on the GPU the job does not hold,
/// is never ended: the audit says the job is to be stopped instead, and the job runs on.
/// </summary>
[Collection(JobHostGroup.Name)]
public sealed class ForeignGpuKillTests(JobHostFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Bobs_process_on_alices_GPU_is_ended_by_the_launcher_and_alices_job_process_never_is()
    {
        using var bobs = Process.Start(new ProcessStartInfo("/usr/bin/setpriv",
            [$"--reuid={fixture.Bob.Uid}", $"--regid={fixture.Bob.Gid}", "--clear-groups", "/bin/sleep", "300"]))!;
        try
        {
            using var box = FakeGpuBox.Create([new FakeGpu(GpuCaptures.L40S), new FakeGpu(GpuCaptures.L40S)], JobHostFixture.GpuUuids);
            string appsFile = Path.Combine(box.Folder, "apps.csv");
            await File.WriteAllTextAsync(appsFile, "");
            await using var t = await JobTestContext.CreateAsync(fixture, gpus: 2);
            var portal = t.StartPortal(new Dictionary<string, string>
            {
                ["Portal:Gpus:SearchPath"] = box.SearchPath,
                ["Portal:Gpus:ProcessRefresh"] = "00:00:01",
                ["Portal:Gpus:ForeignProcesses:Kill"] = "true",
            });
            var job = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sh", "-c", "until [ -e /tmp/done ]; do sleep 0.2; done"], gpus: 1));
            portal.Services.GetRequiredService<JobRunner>().RequestPass(SchedulingCause.JobSubmitted);
            var held = (await t.WaitForStateAsync(job, JobState.Running)).AssignedGpuUuids.Single();
            var free = JobHostFixture.GpuUuids.Single(g => g != held);
            string container = string.Create(CultureInfo.InvariantCulture, $"portal-job-{job}");
            var inspect = await JobHostFixture.PodmanAsync(fixture.Alice, "inspect", "--format", "{{.State.Pid}}", container);
            Assert.True(inspect.ExitCode == 0, inspect.ToString());
            int jobPid = int.Parse(inspect.Stdout.Trim(), CultureInfo.InvariantCulture);

            // Both GPUs list bob's process and the job's: the driver's view once the job computes.
            using (var listing = FakeGpuBox.Create([new FakeGpu(GpuCaptures.L40S, [bobs.Id, jobPid]), new FakeGpu(GpuCaptures.L40S, [bobs.Id, jobPid])], JobHostFixture.GpuUuids))
            {
                await File.WriteAllTextAsync(appsFile, await File.ReadAllTextAsync(Path.Combine(listing.Folder, "apps.csv")));
            }

            var rows = await Eventually.UntilAsync(() => KillRowsAsync(t),
                r => r.Any(e => e.Detail!.Contains($"PID {bobs.Id} ", StringComparison.Ordinal)) && r.Any(e => e.Detail!.Contains($"PID {jobPid} ", StringComparison.Ordinal)),
                Deadline, "the outcomes of ending the foreign processes in the audit log");
            using (var exited = new CancellationTokenSource(Deadline))
            {
                await bobs.WaitForExitAsync(exited.Token);
            }

            var ended = Assert.Single(rows, e => e.Detail!.Contains($"PID {bobs.Id} ", StringComparison.Ordinal));
            Assert.True(ended.Succeeded);
            Assert.StartsWith("Ended with SIGTERM.", ended.Detail, StringComparison.Ordinal);
            Assert.Contains($"of {fixture.Bob.Name} (uid {fixture.Bob.Uid})", ended.Detail, StringComparison.Ordinal);
            var spared = Assert.Single(rows, e => e.Detail!.Contains($"PID {jobPid} ", StringComparison.Ordinal));
            Assert.False(spared.Succeeded);
            // The portal knows the job (by its container id, or here, where rootless podman on cgroup v1 makes no cgroup of
            // its own, by the launcher's job cgroup under the policy's parent) and never asks the launcher.
            Assert.StartsWith($"Not ended: it runs in job {job} (stop the job instead).", spared.Detail, StringComparison.Ordinal);
            Assert.Equal(free, spared.Target);
            Assert.True(Directory.Exists(string.Create(CultureInfo.InvariantCulture, $"/proc/{jobPid}")), "the job's process was ended");

            var done = await JobHostFixture.PodmanAsync(fixture.Alice, "exec", container, "touch", "/tmp/done");
            Assert.True(done.ExitCode == 0, done.ToString());
            await t.WaitForStateAsync(job, JobState.Succeeded);
        }
        finally
        {
            if (!bobs.HasExited)
            {
                bobs.Kill();
            }

            await bobs.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task The_admin_pages_lines_come_from_the_real_launchers_self_test_and_the_portals_option()
    {
        var launcher = new ProcessLauncher(new LauncherOptions { LauncherPath = fixture.LauncherPath });
        var on = new GpuEnforcementReader(launcher, Options.Create(new ForeignGpuProcessOptions { Kill = true }));
        var off = new GpuEnforcementReader(launcher, Options.Create(new ForeignGpuProcessOptions { Kill = false }));

        var withOption = await on.ReadAsync(CancellationToken.None);
        var withoutOption = await off.ReadAsync(CancellationToken.None);

        // This host: job cgroups with device control, the job host's policy in ACL mode with 0660 GPU nodes, and
        // killGpuProcesses on.
        var jobs = Assert.Single(withOption, l => l.Topic == GpuEnforcement.JobsTopic);
        Assert.True(jobs.Enforced, jobs.Detail);
        Assert.Contains("A job opens only the standard devices and its own GPUs", jobs.Detail, StringComparison.Ordinal);
        var outside = Assert.Single(withOption, l => l.Topic == GpuEnforcement.OutsideTopic);
        Assert.True(outside.Enforced, outside.Detail);
        Assert.Equal("Enforced (device ACL mode)", outside.Summary);
        var processes = Assert.Single(withOption, l => l.Topic == GpuEnforcement.ProcessesTopic);
        Assert.True(processes.Enforced);
        Assert.Contains("SIGKILL after 1 s", processes.Detail, StringComparison.Ordinal);
        var detectedOnly = Assert.Single(withoutOption, l => l.Topic == GpuEnforcement.ProcessesTopic);
        Assert.False(detectedOnly.Enforced);
        Assert.Contains("the portal's option (Portal:Gpus:ForeignProcesses:Kill) is off", detectedOnly.Detail, StringComparison.Ordinal);
    }

    private static async Task<List<AuditEvent>> KillRowsAsync(JobTestContext t)
    {
        await using var db = t.Db.CreateDbContext();
        return await db.AuditEvents.AsNoTracking().Where(e => e.Action == AuditActions.GpuForeignKill).ToListAsync();
    }
}
