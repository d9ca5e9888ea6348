using Microsoft.Extensions.Time.Testing;
using Portal.Core.Bookings;
using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Core.Scheduling;

namespace Portal.Core.Tests.Scheduling;

/// <summary>Invariants checked over many random job mixes; each seed is fixed so a failure is reproducible.</summary>
public sealed class SchedulerPropertyTests
{
    private static readonly DateTimeOffset Now = SnapshotBuilder.Now;

    public static TheoryData<int> Seeds()
    {
        var seeds = new TheoryData<int>();
        for (var seed = 1; seed <= 200; seed++)
        {
            seeds.Add(seed);
        }

        return seeds;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Random_mixes_keep_every_scheduling_invariant(int seed)
    {
        var random = new Random(seed);
        var snapshot = RandomSnapshot(random);
        var plan = new Scheduler(new FakeTimeProvider(Now)).Plan(snapshot);

        var gpuByUuid = snapshot.Gpus.ToDictionary(g => g.Uuid);
        var held = snapshot.Running.SelectMany(r => r.GpuUuids).ToHashSet();
        var queuedById = snapshot.Queued.ToDictionary(q => q.JobId);

        // Every queued job is decided exactly once.
        Assert.Equal(queuedById.Keys.Order(), plan.Starts.Select(s => s.JobId).Concat(plan.PendingReasons.Keys).Order());
        Assert.DoesNotContain(PendingReason.None, plan.PendingReasons.Values);

        // Starts use the right number of distinct, existing, undrained, unheld GPUs.
        var assigned = plan.Starts.SelectMany(s => s.GpuUuids).ToList();
        Assert.Equal(assigned.Count, assigned.Distinct().Count());
        foreach (var start in plan.Starts)
        {
            var job = queuedById[start.JobId];
            Assert.Equal(job.GpuCount, start.GpuUuids.Count);
            Assert.All(start.GpuUuids, u =>
            {
                Assert.False(gpuByUuid[u].Drained);
                Assert.DoesNotContain(u, held);
            });
            if (job.SpecificGpuUuids.Count > 0)
            {
                Assert.Equal(job.SpecificGpuUuids, start.GpuUuids);
            }
        }

        // No owner goes over their limits through this pass, and no GPU job starts on exhausted GPU-hours.
        foreach (var owner in plan.Starts.Select(s => queuedById[s.JobId].Owner).Distinct())
        {
            var quota = snapshot.QuotaByOwner.GetValueOrDefault(owner) ?? snapshot.DefaultQuota;
            var started = plan.Starts.Where(s => queuedById[s.JobId].Owner == owner).ToList();
            var running = snapshot.Running.Where(r => r.Owner == owner).ToList();
            Assert.True(running.Count + started.Count <= quota.MaxConcurrentJobs);
            var startedGpus = started.Sum(s => s.GpuUuids.Count);
            if (startedGpus > 0)
            {
                Assert.True(running.Sum(r => r.GpuUuids.Count) + startedGpus <= quota.MaxConcurrentGpus);
                Assert.True(snapshot.GpuSecondsInWindowByOwner.GetValueOrDefault(owner) < quota.GpuSecondsPerWindow);
            }
        }

        // Nobody else's job starts on a booked GPU if it could still run when the booking is in force.
        foreach (var start in plan.Starts)
        {
            var job = queuedById[start.JobId];
            Assert.DoesNotContain(snapshot.Bookings!, b =>
                b.Holder != job.Owner && b.GpuUuids.Intersect(start.GpuUuids).Any() && b.Overlaps(Now, Now + job.Walltime));
        }

        // CPUs and memory of the box are never oversubscribed.
        if (snapshot.Capacity is { } capacity)
        {
            var startedJobs = plan.Starts.Select(s => queuedById[s.JobId]).ToList();
            Assert.True(snapshot.Running.Sum(r => r.Cpus) + startedJobs.Sum(j => j.Cpus) <= Math.Max(capacity.Cpus, snapshot.Running.Sum(r => r.Cpus)));
            Assert.True(snapshot.Running.Sum(r => r.MemoryMiB) + startedJobs.Sum(j => j.MemoryMiB) <= Math.Max(capacity.MemoryMiB, snapshot.Running.Sum(r => r.MemoryMiB)));
        }

        // At most one job that fits the box waits for Resources, and it holds the reservation. (Jobs bigger than
        // the box also wait for Resources, but hold nothing.)
        bool FitsBox(QueuedJob job) => snapshot.Capacity is not { } box || (job.Cpus <= box.Cpus && job.MemoryMiB <= box.MemoryMiB);
        var waitingForResources = plan.PendingReasons
            .Where(p => p.Value == PendingReason.Resources && FitsBox(queuedById[p.Key]))
            .Select(p => p.Key)
            .ToList();
        Assert.True(waitingForResources.Count <= 1);
        Assert.Equal(waitingForResources.Cast<long?>().SingleOrDefault(), plan.Reservation?.JobId);

        // Backfill never delays the reservation: a started job on a reserved GPU ends by the time it is needed.
        if (plan.Reservation is { } reservation)
        {
            foreach (var start in plan.Starts.Where(s => s.GpuUuids.Intersect(reservation.GpuUuids).Any()))
            {
                Assert.True(Now + queuedById[start.JobId].Walltime <= reservation.StartsBy);
            }
        }

        // The plan wastes nothing: no job left waiting for resources would fit on what is left free under the same
        // rules. (Checked for jobs that end before the reservation's start, which need nothing but free resources.)
        var leftover = snapshot.Gpus.Where(g => !g.Drained && !held.Contains(g.Uuid) && !assigned.Contains(g.Uuid)).Select(g => g.Uuid).ToList();
        var startedAll = plan.Starts.Select(s => queuedById[s.JobId]).ToList();
        var leftoverCpus = (snapshot.Capacity?.Cpus ?? double.PositiveInfinity) - snapshot.Running.Sum(r => r.Cpus) - startedAll.Sum(j => j.Cpus);
        var leftoverMemory = (snapshot.Capacity?.MemoryMiB ?? double.PositiveInfinity) - snapshot.Running.Sum(r => r.MemoryMiB) - startedAll.Sum(j => j.MemoryMiB);
        foreach (var (jobId, reason) in plan.PendingReasons.Where(p => p.Value is PendingReason.Priority or PendingReason.Resources))
        {
            var job = queuedById[jobId];
            var endsInTime = plan.Reservation is null || Now + job.Walltime <= plan.Reservation.StartsBy;
            var unbooked = leftover.Where(u => !snapshot.Bookings!.Any(b =>
                b.Holder != job.Owner && b.GpuUuids.Contains(u) && b.Overlaps(Now, Now + job.Walltime))).ToList();
            var fits = FitsOn(job, unbooked, plan.Reservation) && job.Cpus <= leftoverCpus && job.MemoryMiB <= leftoverMemory;
            Assert.False(endsInTime && fits, $"job {jobId} ({reason}) fits on the leftover resources");
        }
    }

    [Fact]
    public void The_random_mixes_cover_reservations_backfill_and_every_reason()
    {
        var reasons = new HashSet<PendingReason>();
        int reservations = 0, backfilledOntoReserved = 0, starts = 0;
        for (var seed = 1; seed <= 200; seed++)
        {
            var snapshot = RandomSnapshot(new Random(seed));
            var plan = new Scheduler(new FakeTimeProvider(Now)).Plan(snapshot);
            reasons.UnionWith(plan.PendingReasons.Values);
            starts += plan.Starts.Count;
            if (plan.Reservation is { } reservation)
            {
                reservations++;
                backfilledOntoReserved += plan.Starts.Count(s => s.GpuUuids.Intersect(reservation.GpuUuids).Any());
            }
        }

        // Cluster is Slurm's reason for waits the one-box scheduler never has.
        Assert.Equal(Enum.GetValues<PendingReason>().Where(r => r is not PendingReason.None and not PendingReason.Cluster).Order(), reasons.Order());
        Assert.True(reservations > 20, $"{reservations} reservations");
        Assert.True(backfilledOntoReserved > 0);
        Assert.True(starts > 200, $"{starts} starts");
    }

    [Fact]
    public void A_heavy_users_big_job_is_not_starved_by_a_stream_of_small_jobs()
    {
        var started = SimulateBigJobAmongSmallOnes(new SchedulerOptions { StarvationAge = TimeSpan.FromHours(24) });

        Assert.NotNull(started);
        // Starved after 24 h, first in line from then on; the small jobs' 3 h walltime bounds the wait for its reservation.
        Assert.InRange(started.Value, Now.AddHours(24), Now.AddHours(24 + 3 + 0.25));
    }

    [Fact]
    public void Without_the_starvation_guard_the_same_big_job_would_wait_forever()
    {
        var started = SimulateBigJobAmongSmallOnes(new SchedulerOptions { StarvationAge = TimeSpan.FromDays(365), MaxAgingBoost = 0 });

        Assert.Null(started);
    }

    /// <summary>4 GPUs; a heavy user's 4-GPU job among light users who keep the queue full of 1-GPU jobs.
    /// Returns when the big job started, or null if it did not within 60 simulated hours.</summary>
    private static DateTimeOffset? SimulateBigJobAmongSmallOnes(SchedulerOptions options)
    {
        var clock = new FakeTimeProvider(Now);
        var scheduler = new Scheduler(clock, options);
        var random = new Random(42);
        var gpus = Enumerable.Range(0, 4).Select(i => new SchedulableGpu(SnapshotBuilder.Uuid(i), i, false)).ToList();
        var queued = new List<QueuedJob> { new(1, "heavy", 4, [], 0, Now, TimeSpan.FromHours(4)) };
        var running = new List<(RunningJob Job, DateTimeOffset ActualEnd)>();
        var usage = new Dictionary<string, double> { ["heavy"] = 1000 * 3600.0 };
        long nextId = 2;
        DateTimeOffset? bigJobStarted = null;

        for (var step = 0; step < 4 * 60 && bigJobStarted is null; step++)
        {
            var now = clock.GetUtcNow();
            running.RemoveAll(r => r.ActualEnd <= now);
            // Light users keep the queue full of short 1-GPU jobs.
            while (queued.Count < 12)
            {
                queued.Add(new QueuedJob(nextId++, $"light{random.Next(6)}", 1, [], 0, now, TimeSpan.FromHours(1 + random.Next(3))));
            }

            var plan = scheduler.Plan(new SchedulingSnapshot(
                gpus, queued, running.Select(r => r.Job).ToList(), new Dictionary<string, EffectiveQuota>(), SnapshotBuilder.Generous, usage));
            foreach (var start in plan.Starts)
            {
                var job = queued.Single(q => q.JobId == start.JobId);
                queued.Remove(job);
                var actual = TimeSpan.FromMinutes(random.Next(10, (int)job.Walltime.TotalMinutes + 1));
                running.Add((new RunningJob(job.JobId, job.Owner, start.GpuUuids, now, job.Walltime), now + actual));
                if (job.JobId == 1)
                {
                    bigJobStarted = now;
                }
            }

            clock.Advance(TimeSpan.FromMinutes(15));
        }

        return bigJobStarted;
    }

    private static bool FitsOn(QueuedJob job, List<string> free, Reservation? reservation)
    {
        var mayUseReserved = reservation is null || Now + job.Walltime <= reservation.StartsBy;
        var usable = free.Where(u => mayUseReserved || !reservation!.GpuUuids.Contains(u)).ToList();
        return job.SpecificGpuUuids.Count > 0
            ? job.SpecificGpuUuids.All(usable.Contains)
            : usable.Count >= job.GpuCount;
    }

    private static SchedulingSnapshot RandomSnapshot(Random random)
    {
        var gpuCount = random.Next(1, 9);
        var gpus = Enumerable.Range(0, gpuCount)
            .Select(i => new SchedulableGpu(SnapshotBuilder.Uuid(i), i, random.NextDouble() < 0.15))
            .ToList();
        var owners = Enumerable.Range(0, random.Next(1, 7)).Select(i => $"user{i}").ToArray();
        var quotas = new Dictionary<string, EffectiveQuota>();
        var usage = new Dictionary<string, double>();
        foreach (var owner in owners)
        {
            if (random.NextDouble() < 0.7)
            {
                quotas[owner] = SnapshotBuilder.Generous with
                {
                    MaxConcurrentGpus = random.Next(0, 5),
                    MaxConcurrentJobs = random.Next(1, 6),
                    GpuHoursPerWindow = random.Next(1, 100),
                };
            }

            usage[owner] = random.Next(0, 120) * 3600.0;
        }

        // Running jobs on disjoint GPUs.
        var running = new List<RunningJob>();
        var freeIndexes = Enumerable.Range(0, gpuCount).OrderBy(_ => random.Next()).ToList();
        long id = 1000;
        while (freeIndexes.Count > 0 && random.NextDouble() < 0.6)
        {
            var take = Math.Min(freeIndexes.Count, random.Next(1, 4));
            var held = freeIndexes.Take(take).Select(SnapshotBuilder.Uuid).ToList();
            freeIndexes.RemoveRange(0, take);
            running.Add(new RunningJob(id++, owners[random.Next(owners.Length)], held,
                Now - TimeSpan.FromMinutes(random.Next(0, 600)), TimeSpan.FromMinutes(random.Next(30, 900)),
                random.Next(1, 9), random.Next(1, 33) * 1024L));
        }

        var queued = new List<QueuedJob>();
        for (var i = 0; i < random.Next(0, 60); i++)
        {
            var specific = random.NextDouble() < 0.1
                ? Enumerable.Range(0, gpuCount).OrderBy(_ => random.Next()).Take(random.Next(1, Math.Min(3, gpuCount) + 1)).Select(SnapshotBuilder.Uuid).ToList()
                : [];
            var count = specific.Count > 0 ? specific.Count : random.Next(0, Math.Min(5, gpuCount + 1));
            queued.Add(new QueuedJob(
                i + 1, owners[random.Next(owners.Length)], count, specific, random.Next(-2, 5),
                Now - TimeSpan.FromMinutes(random.Next(0, 4000)), TimeSpan.FromMinutes(random.Next(10, 1500)),
                random.Next(1, 17), random.Next(1, 65) * 1024L));
        }

        var capacity = random.NextDouble() < 0.5 ? new HostCapacity(random.Next(4, 65), random.Next(8, 257) * 1024L) : null;

        // Bookings (drawn last, so the mixes above stay what they were for each seed): some in force now, some ahead.
        var bookings = new List<GpuBooking>();
        while (random.NextDouble() < 0.35)
        {
            var start = Now + TimeSpan.FromMinutes(random.Next(-240, 900));
            var booked = Enumerable.Range(0, gpuCount).OrderBy(_ => random.Next()).Take(random.Next(1, 3)).Select(SnapshotBuilder.Uuid).ToList();
            bookings.Add(new GpuBooking(bookings.Count + 1, owners[random.Next(owners.Length)], booked, start,
                start + TimeSpan.FromMinutes(random.Next(30, 600)), null));
        }

        return new SchedulingSnapshot(gpus, queued, running, quotas, SnapshotBuilder.Generous, usage, capacity, bookings);
    }
}
