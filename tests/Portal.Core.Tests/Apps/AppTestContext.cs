using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Launcher.Protocol;

namespace Portal.Core.Tests.Apps;

/// <summary>A submitter with a home under /home and read-only datasets, on a box with two GPUs.</summary>
internal static class AppTestContext
{
    public static readonly EffectiveQuota Quota = new(
        MaxConcurrentGpus: 2, MaxConcurrentJobs: 4, MaxQueuedJobs: 10, GpuHoursPerWindow: 100, Window: TimeSpan.FromDays(7),
        MaxWalltime: TimeSpan.FromDays(2), MaxCpusPerJob: 8, MaxMemoryMiBPerJob: 32768);

    public static JobSubmitContext Context(EffectiveQuota? quota = null) => new(
        IsAdmin: false, quota ?? Quota, QueuedJobsOfOwner: 0,
        AllowedMountRoots: [new MountRoot("/home/ptest-alice", false), new MountRoot("/srv/datasets", true)],
        GpuUuidsOnBox: ["GPU-a", "GPU-b"]);

    public static readonly Portal.Core.Apps.AppSubmission Submission = new("demo", TimeSpan.FromHours(2));
}
