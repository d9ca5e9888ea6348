using Portal.Core.Jobs;
using Portal.Data.Jobs;
using Portal.Launcher.Protocol;

namespace Portal.Jobs;

/// <summary>A started job as the watch and the reconciler see it: enough to match it with a container.</summary>
/// <param name="Id">The job.</param>
/// <param name="Owner">Its Linux account, which every launcher call acts as.</param>
/// <param name="State">Starting or Running.</param>
/// <param name="SubmittedAt">When it was submitted: a container that started earlier belongs to another job.</param>
/// <param name="StartedAt">When it was committed as Starting: a container stuck in "created" is given up after
/// <see cref="JobRunnerOptions.StuckLaunchTimeout"/> from here.</param>
/// <param name="GpuCount">How many GPUs it holds (their device ACLs are released when it ends).</param>
/// <param name="IsApp">An app: the launcher calls are the app verbs, for a pod of services rather than one container.</param>
internal sealed record ActiveJob(long Id, string Owner, JobState State, DateTimeOffset SubmittedAt, DateTimeOffset? StartedAt, int GpuCount, bool IsApp = false)
{
    public static ActiveJob From(JobSummary s) => new(s.Id, s.Owner, s.State, s.SubmittedAt, s.StartedAt, s.GpuCount, s.IsApp);

    public static ActiveJob From(Job job) =>
        new(job.Id, job.Owner, job.State, job.SubmittedAt, job.StartedAt, job.AssignedGpuUuids.Count, job.Spec.IsApp);

    /// <summary>A queued job the runner has just committed as Starting on <paramref name="gpuCount"/> GPUs at
    /// <paramref name="startedAt"/> (the job read before the commit still says Queued).</summary>
    public static ActiveJob Starting(Job job, int gpuCount, DateTimeOffset startedAt) =>
        new(job.Id, job.Owner, JobState.Starting, job.SubmittedAt, startedAt, gpuCount, job.Spec.IsApp);

    /// <summary>The job id as the launcher takes it (and as the container's <c>portal.job</c> label carries it).</summary>
    public string Key => JobKeys.Format(Id);
}
