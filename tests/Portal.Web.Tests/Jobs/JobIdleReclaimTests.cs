using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Portal.Core.Jobs;
using Portal.Core.Notifications;
using Portal.Core.Quotas;
using Portal.Core.Reclaim;
using Portal.Core.Scheduling;
using Portal.Data.Quotas;
using Portal.Jobs;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;
using Portal.Web.Services.Gpus.Idle;
using Portal.Web.Tests.Components.Gpus;

namespace Portal.Web.Tests.Jobs;

/// <summary>
/// Idle reclaim of batch jobs through the running portal: real jobs of alice (rootless podman) hold the two GPUs a fake
/// nvidia-smi reports, the real GPU monitor samples it every 250 ms and rolls the readings up into 2-second rows, and
/// alice's quota group reclaims after a 10-second window. What each GPU shows is chosen per test by rewriting the
/// fake's rows: the H100 capture's idle round (0 %), its load round, or every other round empty (a gap in sampling).
/// </summary>
[Collection(JobHostGroup.Name)]
public sealed class JobIdleReclaimTests(JobHostFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);
    private static readonly IdlePolicy Stop = new(5, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), ReclaimAction.Stop, TimeSpan.FromSeconds(30));
    private static readonly Dictionary<string, string> Settings = new()
    {
        ["Portal:Gpus:Interval"] = "00:00:00.25",
        ["Portal:Gpus:RollupPeriod"] = "00:00:02",
        ["Portal:Gpus:RollupRetention"] = "00:10:00",
        ["Portal:Gpus:JobIdleCheckInterval"] = "00:00:00.5",
    };

    [Fact]
    public async Task A_job_with_gaps_in_its_readings_is_never_warned_and_once_idle_it_is_warned_then_stopped_with_its_GPUs_released()
    {
        using var box = FakeGpuBox.Create([new FakeGpu(GpuCaptures.H100), new FakeGpu(GpuCaptures.H100)], JobHostFixture.GpuUuids);
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 2);
        await GroupAsync(t, Stop);
        var portal = t.StartPortal(new Dictionary<string, string>(Settings) { ["Portal:Gpus:SearchPath"] = box.SearchPath });
        var runner = portal.Services.GetRequiredService<JobRunner>();
        var idleSource = portal.Services.GetRequiredService<IJobIdleSource>();
        var (job, gpu) = await RunAsync(t, runner);
        var other = JobHostFixture.GpuUuids.Single(g => g != gpu);

        // Every GPU at 0 %, but the sampler gets only every other round: half the readings are missing.
        Rows(box, idle: [gpu, other], load: []);
        var gapsFrom = DateTimeOffset.UtcNow;
        await Eventually.UntilAsync(() => Task.FromResult(idleSource.LastPassAt), p => p > gapsFrom + Stop.Window + TimeSpan.FromSeconds(5),
            Deadline, "passes over a whole window of gaps");
        var gaps = idleSource.Status(job);
        Assert.Equal(IdleVerdictKind.NotEnoughData, gaps?.Verdict.Kind);
        Assert.Equal(IdlePhase.Watching, gaps?.Watch.Phase);
        Assert.DoesNotContain(NotificationKinds.IdleWarning, await NotificationsAsync(t, job));

        // Every reading back, every one at 0 %.
        Rows(box, idle: [gpu, other], load: [gpu, other]);
        await Eventually.UntilAsync(() => NotificationsAsync(t, job), n => n.Contains(NotificationKinds.IdleWarning), Deadline, "the idle warning");
        var stopped = await t.WaitForStateAsync(job, JobState.Cancelled, Deadline);

        Assert.Contains("reclaimed", stopped.History[^1].Detail, StringComparison.Ordinal);
        Assert.All(await t.AllocationsOfAsync(job), a => Assert.NotNull(a.ReleasedAt));
        Assert.DoesNotContain(await t.HeldGpusAsync(), h => h.Job == job);
        Assert.Contains(NotificationKinds.Reclaimed, await NotificationsAsync(t, job));
        var audit = await AuditAsync(t, job);
        Assert.Equal([AuditActions.JobIdleWarned, AuditActions.JobIdleReclaimed], audit.Select(a => a.Action));
        Assert.All(audit, a => Assert.True(a.Succeeded));
    }

    [Fact]
    public async Task A_warn_only_policy_never_stops_a_keep_withdraws_the_warning_once_and_a_busy_GPU_is_never_idle()
    {
        using var box = FakeGpuBox.Create([new FakeGpu(GpuCaptures.H100), new FakeGpu(GpuCaptures.H100)], JobHostFixture.GpuUuids);
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 2);
        var policy = Stop with { Action = ReclaimAction.WarnOnly, KeepFor = TimeSpan.FromMinutes(10) };
        await GroupAsync(t, policy);
        var portal = t.StartPortal(new Dictionary<string, string>(Settings) { ["Portal:Gpus:SearchPath"] = box.SearchPath });
        var runner = portal.Services.GetRequiredService<JobRunner>();
        var idleSource = portal.Services.GetRequiredService<IJobIdleSource>();
        var (idle, idleGpu) = await RunAsync(t, runner);
        var (busy, busyGpu) = await RunAsync(t, runner);
        // The idle job's GPU at 0 % in every round; the busy job's GPU alternates idle and full load.
        Rows(box, idle: [idleGpu, busyGpu], load: [idleGpu, busyGpu], loadFromLoadRound: [busyGpu]);

        await Eventually.UntilAsync(() => NotificationsAsync(t, idle), n => n.Contains(NotificationKinds.IdleWarning), Deadline, "the idle warning");
        var warnedAt = idleSource.Status(idle)!.Watch.ActionDueAt!.Value;
        // Two passes after the grace period ended: still running, still warned (warn only).
        await Eventually.UntilAsync(() => Task.FromResult(idleSource.LastPassAt), p => p > warnedAt + TimeSpan.FromSeconds(1), Deadline, "passes after the grace period");
        Assert.Equal(JobState.Running, (await t.RowAsync(idle)).State);
        Assert.Equal(IdlePhase.Warned, idleSource.Status(idle)!.Watch.Phase);
        Assert.Equal(IdleVerdictKind.Busy, idleSource.Status(busy)!.Verdict.Kind);
        Assert.DoesNotContain(NotificationKinds.IdleWarning, await NotificationsAsync(t, busy));

        var keeping = portal.Services.GetRequiredService<JobKeeping>();
        var alice = User(t, fixture.Alice);
        var kept = await keeping.KeepAsync(alice, idle, "loading the next dataset", CancellationToken.None);
        var again = await keeping.KeepAsync(alice, idle, "still loading", CancellationToken.None);
        var bobs = await keeping.KeepAsync(User(t, fixture.Bob), busy, "not mine", CancellationToken.None);

        Assert.True(kept.Applied, kept.Message);
        Assert.False(again.Applied);
        Assert.Contains("only once", again.Message, StringComparison.Ordinal);
        Assert.True(bobs.NotFound);
        var status = await Eventually.UntilAsync(() => Task.FromResult(idleSource.Status(idle)!), s => s.Watch.KeepReason is not null,
            Deadline, "the keep to reach the reclaimer");
        Assert.Equal(IdlePhase.Watching, status.Watch.Phase);
        Assert.Equal("loading the next dataset", status.Watch.KeepReason);
        var audit = await AuditAsync(t, idle);
        Assert.Equal([AuditActions.JobIdleWarned, AuditActions.JobKept, AuditActions.JobKept], audit.Select(a => a.Action));
        Assert.Equal([true, true, false], audit.Select(a => a.Succeeded));

        foreach (var job in new[] { idle, busy })
        {
            Assert.True((await runner.CancelAsync(job, "alice", CancellationToken.None)).Applied);
            await t.WaitForStateAsync(job, JobState.Cancelled, Deadline);
        }
    }

    [Fact]
    public async Task Under_stop_and_requeue_an_idle_restartable_job_is_queued_again_in_its_place_and_restarted_while_one_that_is_not_is_stopped()
    {
        using var box = FakeGpuBox.Create([new FakeGpu(GpuCaptures.H100), new FakeGpu(GpuCaptures.H100)], JobHostFixture.GpuUuids);
        await using var t = await JobTestContext.CreateAsync(fixture, gpus: 2);
        await GroupAsync(t, Stop with { Action = ReclaimAction.StopAndRequeue });
        // Both GPUs busy (every other reading at full load) until a test step makes one idle.
        Rows(box, idle: JobHostFixture.GpuUuids, load: JobHostFixture.GpuUuids, loadFromLoadRound: JobHostFixture.GpuUuids);
        var portal = t.StartPortal(new Dictionary<string, string>(Settings) { ["Portal:Gpus:SearchPath"] = box.SearchPath });
        var runner = portal.Services.GetRequiredService<JobRunner>();
        var (restartable, gpu) = await RunAsync(t, runner, restartable: true);
        var (plain, plainGpu) = await RunAsync(t, runner);
        var submittedAt = (await t.JobAsync(restartable)).SubmittedAt;
        // Bob's job, submitted later, waits for a GPU: the requeued job must still come first.
        var bobs = await t.SubmitAsync(fixture.Bob, JobTestContext.Spec(["sleep", "600"], gpus: 1));
        runner.RequestPass(SchedulingCause.JobSubmitted);
        await t.WaitForPendingReasonAsync(bobs, PendingReason.Resources);

        // The restartable job's GPU idle, the other job's busy.
        Rows(box, idle: [gpu, plainGpu], load: [gpu, plainGpu], loadFromLoadRound: [plainGpu]);
        var again = await Eventually.UntilAsync(() => t.JobAsync(restartable), j => j is { State: JobState.Running, Attempts: 2 }, Deadline,
            "the restartable job's second attempt");
        // Its GPU busy again before a window passes, so the new attempt is not judged idle too.
        Rows(box, idle: [gpu, plainGpu], load: [gpu, plainGpu], loadFromLoadRound: [gpu, plainGpu]);

        Assert.Equal(submittedAt, again.SubmittedAt);
        Assert.Equal([gpu], again.AssignedGpuUuids);
        var requeue = Assert.Single(again.History, h => h.State == JobState.Queued && h.At > submittedAt);
        Assert.StartsWith("requeued: its GPUs stayed under", requeue.Detail, StringComparison.Ordinal);
        var allocations = (await t.AllocationsOfAsync(restartable)).OrderBy(a => a.Position).ToList();
        Assert.Equal(2, allocations.Count);
        Assert.NotNull(allocations[0].ReleasedAt);
        Assert.True(allocations[0].ReleasedAt <= allocations[1].AllocatedAt, "the first attempt's GPU is released before the second attempt gets one");
        Assert.Null(allocations[1].ReleasedAt);
        Assert.Equal(JobState.Queued, (await t.RowAsync(bobs)).State);
        Assert.Equal(JobState.Running, (await t.RowAsync(plain)).State);
        Assert.Contains(NotificationKinds.Reclaimed, await NotificationsAsync(t, restartable));
        var requeued = await AuditAsync(t, restartable);
        Assert.Equal([AuditActions.JobIdleWarned, AuditActions.JobIdleRequeued], requeued.Select(a => a.Action));
        Assert.All(requeued, a => Assert.True(a.Succeeded));

        // Now the job that is not restartable goes idle: stopped, as under Stop, and its GPU goes to bob.
        Rows(box, idle: [gpu, plainGpu], load: [gpu, plainGpu], loadFromLoadRound: [gpu]);
        var stopped = await t.WaitForStateAsync(plain, JobState.Cancelled, Deadline);
        Assert.Contains("not restartable", stopped.History[^1].Detail, StringComparison.Ordinal);
        Assert.Equal(1, stopped.Attempts);
        var stoppedAudit = await AuditAsync(t, plain);
        Assert.Equal([AuditActions.JobIdleWarned, AuditActions.JobIdleReclaimed], stoppedAudit.Select(a => a.Action));
        Assert.Contains("not restartable", stoppedAudit[^1].Detail, StringComparison.Ordinal);
        await t.WaitForStateAsync(bobs, JobState.Running, Deadline);

        Assert.True((await runner.CancelAsync(restartable, "alice", CancellationToken.None)).Applied);
        Assert.True((await runner.CancelAsync(bobs, "bob", CancellationToken.None)).Applied);
        await t.WaitForStateAsync(restartable, JobState.Cancelled, Deadline);
        await t.WaitForStateAsync(bobs, JobState.Cancelled, Deadline);
    }

    private static CurrentUser User(JobTestContext t, JobTestUser user) => new(t.Accounts[user.Name], user.Name, IsAdmin: false, LinuxUserName: user.Name);

    private static async Task GroupAsync(JobTestContext t, IdlePolicy policy)
    {
        var quotas = new QuotaStore(t.Db, TimeProvider.System);
        var group = (await quotas.CreateGroupAsync("idle-" + Guid.NewGuid().ToString("N")[..8], new QuotaPolicy()))!.Value;
        Assert.True(await quotas.SetGroupJobIdleAsync(group, policy));
        Assert.True(await quotas.AddMemberAsync(group, t.Accounts[t.Fixture.Alice.Name]));
    }

    /// <summary>Runs one of alice's jobs on one GPU until the test cancels it; returns it and its GPU.</summary>
    private async Task<(long Job, string Gpu)> RunAsync(JobTestContext t, JobRunner runner, bool restartable = false)
    {
        var job = await t.SubmitAsync(fixture.Alice, JobTestContext.Spec(["sleep", "600"], gpus: 1) with { Restartable = restartable });
        runner.RequestPass(SchedulingCause.JobSubmitted);
        return (job, (await t.WaitForStateAsync(job, JobState.Running, Deadline)).AssignedGpuUuids.Single());
    }

    private static void Rows(FakeGpuBox box, IReadOnlyList<string> idle, IReadOnlyList<string> load, IReadOnlyList<string>? loadFromLoadRound = null) =>
        box.SetRounds(idle, load, loadFromLoadRound);

    private static async Task<List<NotificationKinds>> NotificationsAsync(JobTestContext t, long job)
    {
        await using var db = t.Db.CreateDbContext();
        return await db.Notifications.AsNoTracking().Where(n => n.JobId == job).OrderBy(n => n.Id).Select(n => n.Kind).ToListAsync();
    }

    private static async Task<List<Portal.Data.Entities.AuditEvent>> AuditAsync(JobTestContext t, long job)
    {
        var target = "job " + job.ToString(CultureInfo.InvariantCulture);
        await using var db = t.Db.CreateDbContext();
        return await db.AuditEvents.AsNoTracking()
            .Where(e => e.Action.StartsWith("job.idle") || e.Action == AuditActions.JobKept)
            .Where(e => e.Target == target || e.Target!.StartsWith(target + " "))
            .OrderBy(e => e.Id).ToListAsync();
    }
}
