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
        PendingReason.Booked => "the GPUs it could use are booked for someone else",
        _ => reason.ToString(),
    };

    /// <summary>The reason, with the cluster scheduler's own word when there is one ("waiting for free GPUs (Slurm:
    /// Resources)").</summary>
    public static string Reason(PendingReason reason, string? clusterReason) =>
        clusterReason is { Length: > 0 } word ? $"{Reason(reason)} (Slurm: {word})" : Reason(reason);

    public static string State(JobState state, PendingReason reason, string? clusterReason = null) =>
        state == JobState.Queued ? $"Queued: {Reason(reason, clusterReason)}" : state.ToString();

    /// <summary>The reason, naming the booking a job waits for when there is one ("booked by alice until 18:00 UTC").</summary>
    public static string Reason(PendingReason reason, string? clusterReason, Portal.Data.Jobs.BookingHold? hold) =>
        reason == PendingReason.Booked && hold is not null ? Booked(hold) : Reason(reason, clusterReason);

    /// <summary>The state of a job's page, naming the booking it waits for.</summary>
    public static string State(JobState state, PendingReason reason, string? clusterReason, Portal.Data.Jobs.BookingHold? hold) =>
        state == JobState.Queued ? $"Queued: {Reason(reason, clusterReason, hold)}" : state.ToString();

    /// <summary>For a queued job that ran before and was queued again, why ("requeued: its GPUs stayed under ..."); the
    /// history's last entry says it. Null for any other job.</summary>
    public static string? Requeued(Portal.Core.Jobs.Job job) =>
        job is { State: JobState.Queued, Attempts: > 0 } ? job.History[^1].Detail : null;

    /// <summary>"booked by alice until 2026-12-04 18:00 UTC".</summary>
    public static string Booked(Portal.Data.Jobs.BookingHold hold)
    {
        ArgumentNullException.ThrowIfNull(hold);
        return $"booked by {hold.Holder} until {hold.End.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC";
    }

    public static string Time(DateTimeOffset? at) =>
        at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "—";

    public static string GpuHours(double? gpuSeconds) =>
        gpuSeconds is { } s ? (s / 3600).ToString("0.00", CultureInfo.InvariantCulture) : "—";

    /// <summary>CPU time from the job's cgroup, "—" until it ended.</summary>
    public static string CpuSeconds(JobResourceUsage? usage) =>
        usage is null ? "—" : usage.CpuSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    /// <summary>Peak memory from the job's cgroup in MiB, "—" until it ended or where the kernel keeps no peak.</summary>
    public static string PeakMemory(JobResourceUsage? usage) =>
        usage?.PeakMemoryBytes is { } b ? (b / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture) + " MiB" : "—";

    /// <summary>How many processes of the job the OOM killer ended, "—" until it ended.</summary>
    public static string OomKills(JobResourceUsage? usage) =>
        usage?.OomKills.ToString(CultureInfo.InvariantCulture) ?? "—";

    /// <summary>A span of time as people read it: "45 s", "12 min", "3 h 05 min", "2 d 4 h".</summary>
    public static string Span(TimeSpan span)
    {
        if (span < TimeSpan.Zero)
        {
            span = TimeSpan.Zero;
        }

        return span.TotalMinutes < 1 ? $"{(int)span.TotalSeconds} s"
            : span.TotalHours < 1 ? $"{(int)span.TotalMinutes} min"
            : span.TotalDays < 1 ? $"{(int)span.TotalHours} h {span.Minutes:00} min"
            : $"{(int)span.TotalDays} d {span.Hours} h";
    }

    /// <summary>How long a job has run (or ran), "—" before it started.</summary>
    public static string Elapsed(DateTimeOffset? startedAt, DateTimeOffset? finishedAt, DateTimeOffset now) =>
        startedAt is { } start ? Span((finishedAt ?? now) - start) : "—";

    /// <summary>Walltime left for a running job, "—" otherwise.</summary>
    public static string Remaining(JobState state, DateTimeOffset? startedAt, TimeSpan walltime, DateTimeOffset now) =>
        state.HoldsGpus() && startedAt is { } start && walltime > TimeSpan.Zero ? Span(start + walltime - now) + " left" : "—";
}
