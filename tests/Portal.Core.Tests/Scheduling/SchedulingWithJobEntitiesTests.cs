using Microsoft.Extensions.Time.Testing;
using Portal.Core.Gpus;
using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Core.Scheduling;

namespace Portal.Core.Tests.Scheduling;

/// <summary>The path the job host takes: entities -> snapshot -> plan -> entities (the store applies each decision to
/// the job's row with the same domain methods).</summary>
public sealed class SchedulingWithJobEntitiesTests
{
    private static readonly DateTimeOffset T0 = SnapshotBuilder.Now;

    private static JobSpec Spec(int gpus, double hours = 4) =>
        new() { Name = "j", Image = "busybox", Gpus = GpuRequest.Any(gpus), Walltime = TimeSpan.FromHours(hours), Cpus = 2, MemoryMiB = 1024 };

    [Fact]
    public void A_pass_over_job_entities_starts_jobs_and_records_pending_reasons()
    {
        var clock = new FakeTimeProvider(T0);
        var gpus = new[]
        {
            SchedulableGpu.From(new GpuDevice(0, "GPU-a", "NVIDIA H200", 143771, null, "/dev/nvidia0", []), drained: false),
            SchedulableGpu.From(new GpuDevice(1, "GPU-b", "NVIDIA H200", 143771, null, "/dev/nvidia1", []), drained: false),
        };
        var quotas = new Dictionary<string, EffectiveQuota> { ["bob"] = SnapshotBuilder.Generous with { GpuHoursPerWindow = 5 } };

        // Bob used 2 GPUs for 3 h yesterday (6 GPU-hours, over his 5): his new job must wait for GPU-hours.
        var bobsOld = new Job(1, "bob", Spec(2), T0.AddDays(-1));
        bobsOld.Start(["GPU-a", "GPU-b"], T0.AddDays(-1));
        bobsOld.MarkRunning("c1", T0.AddDays(-1));
        bobsOld.Finish(0, T0.AddDays(-1).AddHours(3));
        var bobsNew = new Job(2, "bob", Spec(1), T0.AddHours(-2));
        var alices = new Job(3, "alice", Spec(1), T0.AddHours(-1));
        var carols = new Job(4, "carol", Spec(2), T0.AddMinutes(-30));
        Job[] jobs = [bobsOld, bobsNew, alices, carols];

        var snapshot = SchedulingSnapshot.FromJobs(jobs, gpus, quotas, SnapshotBuilder.Generous, clock.GetUtcNow(), new HostCapacity(64, 1 << 20));
        var plan = new Scheduler(clock).Plan(snapshot);
        var byId = jobs.ToDictionary(j => j.Id);
        foreach (var start in plan.Starts)
        {
            byId[start.JobId].Start(start.GpuUuids, clock.GetUtcNow());
        }

        foreach (var (id, reason) in plan.PendingReasons)
        {
            byId[id].MarkPending(reason);
        }

        Assert.Equal(6 * 3600, snapshot.GpuSecondsInWindowByOwner["bob"]);
        Assert.Equal([3L], plan.Starts.Select(s => s.JobId));
        Assert.Equal(JobState.Starting, alices.State);
        Assert.Equal(["GPU-a"], alices.AssignedGpuUuids);
        Assert.Equal(PendingReason.None, alices.PendingReason);
        Assert.Equal(PendingReason.GpuHoursExhausted, bobsNew.PendingReason);
        Assert.Equal(PendingReason.Resources, carols.PendingReason);

        // Once the alice job holds its GPU, the next pass sees it as running.
        var next = SchedulingSnapshot.FromJobs(jobs, gpus, quotas, SnapshotBuilder.Generous, clock.GetUtcNow());
        Assert.Equal([3L], next.Running.Select(r => r.JobId));
        Assert.Equal([2L, 4L], next.Queued.Select(q => q.JobId));
    }

    [Fact]
    public void Only_queued_jobs_carry_a_pending_reason()
    {
        var job = new Job(1, "alice", Spec(1), T0);
        job.MarkPending(PendingReason.Priority);

        job.Start(["GPU-a"], T0);

        Assert.Equal(PendingReason.None, job.PendingReason);
        Assert.Throws<InvalidOperationException>(() => job.MarkPending(PendingReason.Resources));
    }
}
