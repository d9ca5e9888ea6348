using System.Globalization;
using Portal.Core.Jobs;

namespace Portal.Web.Services.JobForms;

/// <summary>How jobs read to a person.</summary>
public static class JobText
{
    public static string Reason(PendingReason reason) => reason switch
    {
        PendingReason.None => "waiting for the scheduler",
        PendingReason.Resources => "waiting for free GPUs",
        PendingReason.Priority => "jobs ahead of it go first",
        PendingReason.UserGpuLimit => "your GPU limit is in use",
        PendingReason.UserJobLimit => "your job limit is in use",
        PendingReason.GpuHoursExhausted => "your GPU-hours for the window are used up",
        PendingReason.GpuDrained => "the GPUs it needs are drained",
        PendingReason.Cluster => "the cluster holds it",
        _ => reason.ToString(),
    };

    /// <summary>The reason, with the cluster scheduler's own word when there is one ("waiting for free GPUs (Slurm:
    /// Resources)").</summary>
    public static string Reason(PendingReason reason, string? clusterReason) =>
        clusterReason is { Length: > 0 } word ? $"{Reason(reason)} (Slurm: {word})" : Reason(reason);

    public static string State(JobState state, PendingReason reason, string? clusterReason = null) =>
        state == JobState.Queued ? $"Queued: {Reason(reason, clusterReason)}" : state.ToString();

    public static string Time(DateTimeOffset? at) =>
        at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "—";

    public static string GpuHours(double? gpuSeconds) =>
        gpuSeconds is { } s ? (s / 3600).ToString("0.00", CultureInfo.InvariantCulture) : "—";
}
