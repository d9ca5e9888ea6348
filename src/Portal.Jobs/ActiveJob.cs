using Portal.Core.Jobs;
using Portal.Data.Jobs;

namespace Portal.Jobs;

/// <summary>A started job as the watch and the reconciler see it: enough to match it with a container.</summary>
internal sealed record ActiveJob(long Id, string Owner, JobState State, DateTimeOffset SubmittedAt, DateTimeOffset? StartedAt, int GpuCount)
{
    public static ActiveJob From(JobSummary s) => new(s.Id, s.Owner, s.State, s.SubmittedAt, s.StartedAt, s.GpuCount);

    /// <summary>The job id as the launcher takes it (and as the container's <c>portal.job</c> label carries it).</summary>
    public string Key => JobKeys.Format(Id);
}

/// <summary>Job ids as launcher job names and container labels.</summary>
public static class JobKeys
{
    public static string Format(long jobId) => jobId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static bool TryParse(string? label, out long jobId) =>
        long.TryParse(label, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out jobId)
        && jobId > 0 && Format(jobId) == label;
}
