using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Api.Contracts;
using Portal.Data.Jobs;
using Portal.Web.Security.ApiTokens;
using Portal.Web.Services.Gpus;

namespace Portal.Web.Endpoints.Api;

/// <summary>The GPUs with live state and holders: the ledger (<see cref="GpuStore"/>) says which GPUs exist, which
/// are drained and which job holds each; the server-wide <see cref="GpuMonitor"/> adds the driver's live values and
/// the processes, as on the dashboard.</summary>
internal static class GpuApiEndpoints
{
    public static RouteGroupBuilder MapGpuApi(this RouteGroupBuilder api)
    {
        api.MapGet("/gpus", ListAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("ListGpus").WithTags("GPUs").WithSummary("The GPUs with live values and the jobs holding them");
        return api;
    }

    private static async Task<Ok<GpuListResponse>> ListAsync(HttpContext context, GpuStore gpus, JobStore jobs, GpuMonitor monitor)
    {
        var frame = monitor.Current;
        var stored = await gpus.ListGpusAsync(context.RequestAborted);
        // Who holds each GPU is shown to every user, as on the dashboard.
        var holders = (await jobs.ListStartedAsync(context.RequestAborted)).ToDictionary(j => j.Id);
        var result = stored.Where(g => g.IsPresent).Select(g =>
        {
            var sample = frame.SampleOf(g.Uuid);
            var holder = g.HeldByJobId is { } jobId && holders.TryGetValue(jobId, out var job)
                ? new GpuHolderResponse(job.Id, job.Owner, job.Name)
                : null;
            return new GpuResponse(
                g.Uuid, g.Index, g.Name, g.MemoryTotalMiB, g.Drained, g.DrainReason,
                sample?.UtilizationPercent, sample?.MemoryUsedMiB, sample?.TemperatureCelsius, sample?.PowerDrawWatts, sample?.SampledAt,
                holder,
                [.. frame.Occupancy.ProcessesOn(g.Uuid).Select(p => new GpuProcessResponse(p.Pid, p.ProcessName, p.UsedMemoryMiB, p.OwnerName, p.JobId))]);
        }).ToList();
        return TypedResults.Ok(new GpuListResponse(frame.Snapshot.Status.ToString(), frame.Snapshot.Problem ?? frame.Occupancy.Problem, result));
    }
}
