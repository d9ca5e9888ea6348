using System.Diagnostics;
using System.Globalization;
using Portal.Core.Quotas;
using Portal.Core.Scheduling;

// Times one Scheduler.Plan pass over 1k, 10k and 100k queued jobs from 200 users on 8 GPUs, and reports the median
// and the growth against the 1k baseline measured in this same process.
// Run: dotnet run -c Release --project bench/scheduler

const int Users = 200;
const int GpuCount = 8;
var now = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
var scheduler = new Scheduler(new FixedClock(now));
(int Jobs, int Runs)[] sizes = [(1_000, 201), (10_000, 101), (100_000, 31)];

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"Scheduler.Plan, {Users} users, {GpuCount} GPUs (6 busy), 128 cores / 1 TiB, .NET {Environment.Version}, {Environment.ProcessorCount} CPUs"));
Console.WriteLine("queued jobs | median ms | min ms | max ms | median vs 1k | CPU ms (mean) | KiB allocated | starts | last job");
double? baseline = null;
foreach (var (jobs, runs) in sizes)
{
    var snapshot = BuildSnapshot(jobs, new Random(jobs));
    // Warm up the JIT and tiered compilation before measuring.
    for (var i = 0; i < 5; i++)
    {
        scheduler.Plan(snapshot);
    }

    var times = new double[runs];
    SchedulingPlan plan = null!;
    var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
    // Wall time suffers when other processes share the cores; process CPU time per pass does not.
    var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
    for (var i = 0; i < runs; i++)
    {
        var watch = Stopwatch.StartNew();
        plan = scheduler.Plan(snapshot);
        times[i] = watch.Elapsed.TotalMilliseconds;
    }

    var kibPerPass = (GC.GetAllocatedBytesForCurrentThread() - allocatedBefore) / 1024.0 / runs;
    var cpuMsPerPass = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / runs;

    Array.Sort(times);
    var median = times[runs / 2];
    baseline ??= median;
    var lastReason = plan.PendingReasons.TryGetValue(snapshot.Queued[^1].JobId, out var reason) ? reason.ToString() : "started";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{jobs,11} | {median,9:0.00} | {times[0],6:0.00} | {times[^1],6:0.00} | {median / baseline.Value,11:0.0}x | {cpuMsPerPass,13:0.00} | {kibPerPass,13:0} | {plan.Starts.Count,6} | {lastReason}"));
}

static SchedulingSnapshot BuildSnapshot(int queuedJobs, Random random)
{
    var now = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    var gpus = Enumerable.Range(0, GpuCount).Select(i => new SchedulableGpu($"GPU-{i:D8}", i, Drained: false)).ToList();
    var owners = Enumerable.Range(0, Users).Select(i => $"user{i:D3}").ToArray();
    var defaultQuota = new EffectiveQuota(4, 4, 1_000, 500, TimeSpan.FromDays(7), TimeSpan.FromDays(2), 32, 131072);
    var quotas = new Dictionary<string, EffectiveQuota>(StringComparer.Ordinal);
    var usage = new Dictionary<string, double>(StringComparer.Ordinal);
    foreach (var owner in owners)
    {
        usage[owner] = random.Next(0, 600) * 3600.0;
        if (random.NextDouble() < 0.2)
        {
            quotas[owner] = defaultQuota with { MaxConcurrentGpus = 2, GpuHoursPerWindow = 100 };
        }
    }

    // Six GPUs busy with jobs of varying remaining time; two free.
    var running = new List<RunningJob>();
    for (var i = 0; i < 6; i += 2)
    {
        running.Add(new RunningJob(-1 - i, owners[random.Next(Users)], [gpus[i].Uuid, gpus[i + 1].Uuid],
            now - TimeSpan.FromHours(random.Next(1, 10)), TimeSpan.FromHours(random.Next(10, 24)), Cpus: 16, MemoryMiB: 128 * 1024));
    }

    var queued = new List<QueuedJob>(queuedJobs);
    for (var i = 0; i < queuedJobs; i++)
    {
        queued.Add(new QueuedJob(
            i + 1,
            owners[random.Next(Users)],
            random.Next(0, 5),
            [],
            random.Next(0, 3),
            now - TimeSpan.FromMinutes(random.Next(0, 5 * 24 * 60)),
            TimeSpan.FromMinutes(random.Next(10, 2 * 24 * 60)),
            Cpus: random.Next(1, 17),
            MemoryMiB: random.Next(4, 129) * 1024L));
    }

    // A 128-core, 1 TiB box: CPU-only jobs compete for cores and memory, not just for quota.
    return new SchedulingSnapshot(gpus, queued, running, quotas, defaultQuota, usage, new HostCapacity(128, 1024 * 1024));
}

/// <summary>A clock that stands still, so every measured pass sees the same instant.</summary>
internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
