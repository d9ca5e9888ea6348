using Portal.Api.Contracts;
using Portal.Core.Jobs;
using Portal.Core.Sessions;
using Portal.Data.Jobs;
using Portal.Launcher.Protocol;
using Portal.Web.Services.JobForms;

namespace Portal.Web.Endpoints.Api;

/// <summary>Between the API's job contracts and the domain: requests become <see cref="JobSpec"/>s for the same
/// validator the launch form uses; stored jobs become responses.</summary>
internal static class JobContractMapping
{
    /// <summary>The spec a request asks for; omitted resources take the launch form's defaults. Only problems the
    /// validator cannot see (a number and specific GPUs at once) are reported here.</summary>
    public static (JobSpec? Spec, IReadOnlyList<(string Field, string Message)> Errors) ToSpec(SubmitJobRequest request)
    {
        var defaults = new LaunchForm();
        if (request.Gpus is not null && request.GpuUuids is { Count: > 0 })
        {
            return (null, [("gpus", "Ask for a number of GPUs or for specific GPUs, not both.")]);
        }

        SessionApp? session = null;
        if (request.Session is { } asked)
        {
            SessionKind? kind = asked.Kind?.ToLowerInvariant() switch
            {
                SessionKinds.Jupyter => SessionKind.Jupyter,
                SessionKinds.VsCode => SessionKind.VsCode,
                SessionKinds.WebApp => SessionKind.WebApp,
                _ => null,
            };
            if (kind is null)
            {
                return (null, [("session.kind", $"Use one of: {string.Join(", ", SessionKinds.All)}.")]);
            }

            session = new SessionApp(kind.Value, asked.Port);
        }

        var spec = new JobSpec
        {
            Name = request.Name?.Trim() ?? "",
            Image = request.Image?.Trim() ?? "",
            Command = request.Command ?? [],
            Environment = request.Environment ?? new Dictionary<string, string>(),
            WorkingDirectory = string.IsNullOrWhiteSpace(request.WorkingDirectory) ? null : request.WorkingDirectory.Trim(),
            Mounts = request.Mounts?.Select(m => new MountSpec(m.Source, m.Target, m.ReadOnly)).ToList() ?? [],
            Gpus = request.GpuUuids is { Count: > 0 } uuids ? GpuRequest.Specific(uuids) : GpuRequest.Any(request.Gpus ?? 0),
            Cpus = request.Cpus ?? defaults.Cpus,
            MemoryMiB = request.MemoryMiB ?? defaults.MemoryMiB,
            Walltime = TimeSpan.FromMinutes(request.WalltimeMinutes ?? defaults.Walltime),
            Priority = request.Priority ?? 0,
            Session = session,
            Restartable = request.Restartable ?? false,
        };
        return (spec, []);
    }

    public static JobSummaryResponse ToResponse(JobSummary job) => new(
        job.Id, job.Name, job.Owner, job.Image, job.State.ToString(), PendingOf(job.State, job.PendingReason), job.GpuCount,
        job.SubmittedAt, job.StartedAt, job.FinishedAt, job.ExitCode, GpuHours(job.GpuSeconds));

    public static JobResponse ToResponse(JobDetails details)
    {
        var job = details.Job;
        var spec = job.Spec;
        return new JobResponse(
            job.Id,
            spec.Name,
            job.Owner,
            spec.Image,
            spec.Command,
            spec.Environment,
            spec.WorkingDirectory,
            [.. spec.Mounts.Select(m => new MountRequest(m.Source, m.Target, m.ReadOnly))],
            job.State.ToString(),
            PendingOf(job.State, job.PendingReason),
            job.State == JobState.Queued ? RequeuedPrefix(job) + JobText.Reason(job.PendingReason, details.Backend?.Reason, details.HeldByBooking) : null,
            spec.Gpus.Count,
            job.AssignedGpuUuids,
            spec.Cpus,
            spec.MemoryMiB,
            (int)Math.Round(spec.Walltime.TotalMinutes),
            spec.Priority,
            job.SubmittedAt,
            job.StartedAt,
            job.EndedAt,
            job.ExitCode,
            GpuHours(details.GpuSeconds),
            details.ContainerName,
            [.. job.History.Select(h => new JobHistoryEntry(h.At, h.State.ToString(), h.Detail))],
            spec.Session is { } app ? new SessionInfo(KindName(app.Kind), app.Port, SessionLaunch.BasePath(job.Id)) : null,
            details.Usage is { } usage ? new JobUsageResponse(usage.CpuSeconds, usage.PeakMemoryBytes, usage.OomKills) : null,
            details.Backend is { } backend
                ? new JobBackendResponse(backend.Kind, backend.JobId, backend.State, backend.Reason, backend.Nodes, backend.Gpus)
                : null,
            spec.Restartable,
            job.Attempts);
    }

    private static string KindName(SessionKind kind) => kind switch
    {
        SessionKind.Jupyter => SessionKinds.Jupyter,
        SessionKind.VsCode => SessionKinds.VsCode,
        _ => SessionKinds.WebApp,
    };

    // A requeued job says first why it waits again: "requeued: its GPUs stayed under ...; waiting for free GPUs".
    private static string RequeuedPrefix(Job job) => JobText.Requeued(job) is { } requeued ? requeued + "; " : "";

    private static string? PendingOf(JobState state, PendingReason reason) => state == JobState.Queued ? reason.ToString() : null;

    private static double? GpuHours(double? gpuSeconds) => gpuSeconds / 3600;
}
