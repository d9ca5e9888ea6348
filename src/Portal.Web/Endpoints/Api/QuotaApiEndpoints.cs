using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Api.Contracts;
using Portal.Core.Quotas;
using Portal.Data.Jobs;
using Portal.Web.Security.ApiTokens;

namespace Portal.Web.Endpoints.Api;

/// <summary>The caller's quota: every resolved limit next to the current use, from <see cref="UsageStore"/>.</summary>
internal static class QuotaApiEndpoints
{
    public static RouteGroupBuilder MapQuotaApi(this RouteGroupBuilder api)
    {
        api.MapGet("/quota", GetAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("GetMyQuota").WithTags("Quota").WithSummary("Your limits and your use of each")
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    public static EffectiveQuotaResponse ToResponse(EffectiveQuota quota)
    {
        ArgumentNullException.ThrowIfNull(quota);
        return new(
            quota.MaxConcurrentGpus, quota.MaxConcurrentJobs, quota.MaxQueuedJobs, quota.GpuHoursPerWindow,
            quota.Window.TotalHours, quota.MaxWalltime.TotalHours, quota.MaxCpusPerJob, quota.MaxMemoryMiBPerJob)
        {
            MaxImageGiB = quota.MaxImageGiB,
        };
    }

    private static async Task<Results<Ok<QuotaUsageResponse>, ProblemHttpResult>> GetAsync(HttpContext context, UsageStore usage)
    {
        var caller = ApiCaller.From(context.User);
        var quota = await usage.QuotaUsageAsync(caller.Id, context.RequestAborted);
        if (quota is null)
        {
            return ApiProblems.NotFound("Your portal account is not bound to a Linux account, so it runs no jobs and has no quota.");
        }

        return TypedResults.Ok(new QuotaUsageResponse(
            ToResponse(quota.Quota), quota.RunningGpus, quota.RunningJobs, quota.QueuedJobs,
            quota.GpuHoursInWindow, quota.GpuHoursLeft, quota.GpuHoursExhausted));
    }
}
