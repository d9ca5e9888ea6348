using Portal.Core.Jobs;
using Portal.Data.Jobs;
using Portal.Launcher.Protocol;

namespace Portal.Jobs;

/// <summary>A started job as the watch and the reconciler see it: enough to match it with a container.</summary>
/// <remarks>For an app (<see cref="IsApp"/>) the launcher calls are the app verbs: a pod of services, not one container.</remarks>
internal sealed record ActiveJob(long Id, string Owner, JobState State, DateTimeOffset SubmittedAt, DateTimeOffset? StartedAt, int GpuCount, bool IsApp = false)
{
    public static ActiveJob From(JobSummary s) => new(s.Id, s.Owner, s.State, s.SubmittedAt, s.StartedAt, s.GpuCount, s.IsApp);

    /// <summary>The job id as the launcher takes it (and as the container's <c>portal.job</c> label carries it).</summary>
    public string Key => JobKeys.Format(Id);
}
