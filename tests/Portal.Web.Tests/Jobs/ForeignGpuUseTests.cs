using System.Diagnostics;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Data.Entities;
using Portal.Jobs;
using Portal.Web.Services.Audit;
using Portal.Web.Services.Gpus;
using Portal.Web.Tests.Components.Gpus;

namespace Portal.Web.Tests.Jobs;

/// <summary>
/// Use of a GPU outside its allocation, through the running portal: a real job of alice holds one of the two GPUs a
/// fake nvidia-smi reports, and the driver's list of compute processes names two real processes outside any job: one
/// of bob's and one of alice's. Each case is audited once: bob's on both GPUs, alice's only on the GPU her job does not
/// hold (on her own job's GPU it is the holder's, not foreign).
/// </summary>
[Collection(JobHostGroup.Name)]
public sealed class ForeignGpuUseTests(JobHostFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_process_on_a_GPU_it_was_not_given_is_audited_once_and_the_holders_own_process_is_not()
    {
        using var bobs = StartAs(fixture.Bob);
        using var alices = StartAs(fixture.Alice);
        try
        {
            int[] pids = [bobs.Id, alices.Id];
            // The L40S capture lists two compute processes: they become bob's and alice's. The driver lists none until
            // the job holds its GPU (a process on a GPU that is still free is foreign whoever runs it).
            using var box = FakeGpuBox.Create([new FakeGpu(GpuCaptures.L40S, pids), new FakeGpu(GpuCaptures.L40S, pids)], JobHostFixture.GpuUuids);
            string appsFile = Path.Combine(box.Folder, "apps.csv");
            string apps = await File.ReadAllTextAsync(appsFile);
            await File.WriteAllTextAsync(appsFile, "");
            await using var t = await JobTestContext.CreateAsync(fixture, gpus: 2);
            // An administrator with no Linux processes of its own, to be told of each case; alice and bob are users.
            var admin = await t.Db.AddUserAsync("notify-admin", 4_000_000_001);
            await t.Db.MakeAdminsAsync(admin);
            var portal = t.StartPortal(new Dictionary<string, string>
            {
                ["Portal:Gpus:SearchPath"] = box.SearchPath,
                ["Portal:Gpus:ProcessRefresh"] = "00:00:01",
            });
            var job = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sh", "-c", "until [ -e /tmp/done ]; do sleep 0.2; done"], gpus: 1));
            portal.Services.GetRequiredService<JobRunner>().RequestPass(SchedulingCause.JobSubmitted);
            var held = (await t.WaitForStateAsync(job, JobState.Running)).AssignedGpuUuids.Single();
            var free = JobHostFixture.GpuUuids.Single(g => g != held);
            await File.WriteAllTextAsync(appsFile, apps);

            var rows = await Eventually.UntilAsync(() => ForeignRowsAsync(t),
                r => r.Any(e => e.Target == held && Names(e, bobs.Id)) && r.Count(e => e.Target == free) == 2,
                Deadline, "the foreign processes in the audit log");
            // Three more process readings record nothing new.
            await ProcessReadingsAsync(portal.Services.GetRequiredService<GpuMonitor>(), 3);
            rows = await ForeignRowsAsync(t);

            Assert.Equal(3, rows.Count);
            Assert.Single(rows, e => e.Target == held && Names(e, bobs.Id));
            Assert.DoesNotContain(rows, e => e.Target == held && Names(e, alices.Id));
            Assert.Single(rows, e => e.Target == free && Names(e, bobs.Id));
            Assert.Single(rows, e => e.Target == free && Names(e, alices.Id));
            var onHeld = rows.Single(e => e.Target == held);
            Assert.Contains($"of {fixture.Bob.Name} (uid {fixture.Bob.Uid})", onHeld.Detail, StringComparison.Ordinal);
            Assert.Contains($"a GPU held by job {job}", onHeld.Detail, StringComparison.Ordinal);
            Assert.Contains("outside any job", onHeld.Detail, StringComparison.Ordinal);
            Assert.Contains("a GPU no job holds", rows.First(e => e.Target == free).Detail, StringComparison.Ordinal);
            Assert.All(rows, e => Assert.Equal(AuditActor.System.Name, e.ActorName));

            // Each case told once to the administrator, with what came of it; nobody else hears of any.
            var told = await ForeignNotificationsAsync(t);
            Assert.Equal(3, told.Count);
            Assert.All(told, n => Assert.Equal((admin, (long?)null), (n.UserId, n.JobId)));
            Assert.Equal(
                rows.Select(e => $"{e.Target}: {e.Detail} {ForeignGpuUseWatch.LeftRunning}").Order(StringComparer.Ordinal),
                told.Select(n => $"{n.Subject}: {n.Detail}").Order(StringComparer.Ordinal));

            var done = await JobHostFixture.PodmanAsync(fixture.Alice, "exec", string.Create(CultureInfo.InvariantCulture, $"portal-job-{job}"), "touch", "/tmp/done");
            Assert.True(done.ExitCode == 0, done.ToString());
            await t.WaitForStateAsync(job, JobState.Succeeded);
        }
        finally
        {
            bobs.Kill();
            alices.Kill();
            await bobs.WaitForExitAsync();
            await alices.WaitForExitAsync();
        }
    }

    /// <summary>A process of <paramref name="user"/> outside any job: setpriv changes ids and execs, so the PID stays
    /// the process's own.</summary>
    private static Process StartAs(JobTestUser user) =>
        Process.Start(new ProcessStartInfo("/usr/bin/setpriv",
            [$"--reuid={user.Uid}", $"--regid={user.Gid}", "--clear-groups", "/bin/sleep", "300"]))!;

    private static async Task ProcessReadingsAsync(GpuMonitor monitor, int count)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        GpuOccupancy? last = null;
        int seen = -1;
        await foreach (var frame in monitor.WatchAsync(deadline.Token))
        {
            if (!ReferenceEquals(frame.Occupancy, last))
            {
                last = frame.Occupancy;
                if (++seen == count)
                {
                    return;
                }
            }
        }
    }

    private static bool Names(AuditEvent e, int pid) =>
        e.Detail?.StartsWith($"PID {pid} ", StringComparison.Ordinal) == true;

    private static async Task<List<Portal.Data.Entities.Notifications.NotificationRecord>> ForeignNotificationsAsync(JobTestContext t)
    {
        await using var db = t.Db.CreateDbContext();
        return await db.Notifications.AsNoTracking().Where(n => n.Kind == Portal.Core.Notifications.NotificationKinds.ForeignGpuProcess).ToListAsync();
    }

    private static async Task<List<AuditEvent>> ForeignRowsAsync(JobTestContext t)
    {
        await using var db = t.Db.CreateDbContext();
        return await db.AuditEvents.AsNoTracking().Where(e => e.Action == AuditActions.GpuForeignProcess).ToListAsync();
    }
}
