using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Data;
using Portal.Data.Jobs;
using Portal.Web.Services.Admin;

namespace Portal.Web.Endpoints;

/// <summary>The accounting report as a download: GPU-seconds per user per UTC day, and what the jobs that ended that day
/// used as their cgroups counted it (CPU seconds, peak memory, OOM kills), for administrators only.</summary>
internal static class AccountingEndpoints
{
    public static IEndpointRouteBuilder MapAccountingEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/admin/usage.csv", async Task<Results<FileContentHttpResult, ContentHttpResult>> (
            string? from, string? to, UsageStore usage, CancellationToken cancellationToken) =>
        {
            var (range, problem) = UsageRange.Parse(from, to);
            if (range is null)
            {
                return TypedResults.Text(problem, "text/plain; charset=utf-8", statusCode: StatusCodes.Status400BadRequest);
            }

            var rows = await usage.DailyGpuUsageAsync(range.Start, range.End, cancellationToken);
            var jobs = await usage.DailyJobUsageAsync(range.Start, range.End, cancellationToken);
            var csv = Encoding.UTF8.GetBytes(UsageStore.ToCsv(rows, jobs));
            return TypedResults.File(csv, "text/csv; charset=utf-8", range.FileName);
        }).RequireAuthorization(policy => policy.RequireRole(Roles.Admin));
        return endpoints;
    }
}
