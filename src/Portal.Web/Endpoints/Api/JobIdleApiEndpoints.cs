using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Api.Contracts;
using Portal.Core.Reclaim;
using Portal.Data.Jobs;
using Portal.Data.Quotas;
using Portal.Web.Security.ApiTokens;
using Portal.Web.Services.Admin;
using Portal.Web.Services.Gpus.Idle;

namespace Portal.Web.Endpoints.Api;

/// <summary>
/// Idle reclaim of batch jobs: where a job stands and the owner's one keep (the job page's, with the same audit), and a
/// quota group's policy for administrators (the group page's, with the same audit). Another user's job answers 404.
/// </summary>
internal static class JobIdleApiEndpoints
{
    public static RouteGroupBuilder MapJobIdleApi(this RouteGroupBuilder api)
    {
        api.MapGet("/jobs/{id:long}/gpu-idle", GetAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("GetJobIdle").WithTags("Jobs").WithSummary("A running batch job's GPUs against its idle policy")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/jobs/{id:long}/gpu-idle/keep", KeepAsync).RequireScope(ApiScopes.JobsWrite)
            .WithName("KeepJob").WithTags("Jobs").WithSummary("Record why your job should keep its idle GPUs (once per job)")
            .Accepts<KeepJobRequest>("application/json")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return api;
    }

    public static RouteGroupBuilder MapAdminJobIdleApi(this RouteGroupBuilder admin)
    {
        admin.MapGet("/quota-groups/{id:long}/job-idle", GetGroupAsync).WithName("AdminGetGroupJobIdle")
            .WithSummary("A quota group's idle reclaim of batch jobs").ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPut("/quota-groups/{id:long}/job-idle", SetGroupAsync).WithName("AdminSetGroupJobIdle")
            .WithSummary("Replace a quota group's idle reclaim of batch jobs (every field null turns it off)")
            .Accepts<JobIdlePolicyBody>("application/json")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return admin;
    }

    private static async Task<Results<Ok<JobIdleResponse>, ProblemHttpResult>> GetAsync(long id, HttpContext context, JobStore jobs, IJobIdleSource idle)
    {
        var caller = ApiCaller.From(context.User);
        var details = await jobs.GetAsync(id, caller.Id, caller.ActsAsAdmin, context.RequestAborted);
        if (details is null || details.Job.Spec.Session is not null)
        {
            return ApiProblems.NotFound($"There is no batch job {id} that you can see.");
        }

        return TypedResults.Ok(ToResponse(id, idle.Status(id)));
    }

    private static async Task<Results<Ok<JobIdleResponse>, ValidationProblem, ProblemHttpResult>> KeepAsync(
        long id, HttpContext context, JobKeeping keeping, IJobIdleSource idle)
    {
        var body = await ApiBody.ReadAsync<KeepJobRequest>(context);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        if (body.Invalid is { } invalid)
        {
            return invalid;
        }

        var result = await keeping.KeepAsync(ApiCaller.From(context.User).AsRequester(), id, body.Value!.Reason, context.RequestAborted);
        if (result.NotFound)
        {
            return ApiProblems.NotFound(result.Message);
        }

        if (!result.Applied)
        {
            return ApiProblems.Validation("reason", result.Message);
        }

        return TypedResults.Ok(ToResponse(id, idle.Status(id)) with { KeepUntil = result.Until, KeepReason = body.Value.Reason!.Trim() });
    }

    private static async Task<Results<Ok<JobIdlePolicyBody>, ProblemHttpResult>> GetGroupAsync(long id, HttpContext context, QuotaStore quotas)
    {
        if (id is < 1 or > int.MaxValue)
        {
            return ApiProblems.NotFound($"There is no quota group {id}.");
        }

        var (found, policy) = await quotas.GetGroupJobIdleAsync((int)id, context.RequestAborted);
        return found ? TypedResults.Ok(ToBody(policy)) : ApiProblems.NotFound($"There is no quota group {id}.");
    }

    private static async Task<Results<Ok<JobIdlePolicyBody>, ValidationProblem, ProblemHttpResult>> SetGroupAsync(
        long id, HttpContext context, QuotaAdministration admin, QuotaStore quotas)
    {
        if (id is < 1 or > int.MaxValue)
        {
            return ApiProblems.NotFound($"There is no quota group {id}.");
        }

        var body = await ApiBody.ReadAsync<JobIdlePolicyBody>(context);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        if (body.Invalid is { } invalid)
        {
            return invalid;
        }

        var b = body.Value!;
        var form = new JobIdleForm
        {
            ThresholdPercent = Text(b.ThresholdPercent),
            WindowMinutes = Text(b.WindowSeconds / 60.0),
            GraceMinutes = Text(b.GraceSeconds / 60.0),
            Action = b.Action ?? "",
            KeepHours = Text(b.KeepSeconds / 3600.0),
        };
        var result = await admin.SetGroupJobIdleAsync(ApiCaller.From(context.User).AsRequester().Actor, (int)id, form, context.RequestAborted);
        if (!result.Succeeded)
        {
            return result.Errors.Count == 0
                ? ApiProblems.NotFound(result.Message)
                : ApiProblems.Validation(result.Errors.Select(e => (ApiField(e.Field), e.Message)));
        }

        return TypedResults.Ok(ToBody((await quotas.GetGroupJobIdleAsync((int)id, context.RequestAborted)).Policy));
    }

    private static string ApiField(string formField) => formField switch
    {
        nameof(JobIdleForm.WindowMinutes) => "windowSeconds",
        nameof(JobIdleForm.GraceMinutes) => "graceSeconds",
        nameof(JobIdleForm.KeepHours) => "keepSeconds",
        nameof(JobIdleForm.ThresholdPercent) => "thresholdPercent",
        _ => "action",
    };

    private static string Text(double? value) => value?.ToString("R", CultureInfo.InvariantCulture) ?? "";

    private static JobIdlePolicyBody ToBody(IdlePolicy? p) => p is null
        ? new JobIdlePolicyBody(null, null, null, null, null)
        : new JobIdlePolicyBody(p.ThresholdPercent, (int)p.Window.TotalSeconds, (int)p.Grace.TotalSeconds, p.Action.ToString(), (int)p.KeepFor.TotalSeconds);

    private static JobIdleResponse ToResponse(long id, JobIdleStatus? status) => status is null
        ? new JobIdleResponse(id, null, null, null, null, null, null, null, null)
        : new JobIdleResponse(id, status.Watch.Phase.ToString().ToLowerInvariant(), status.Verdict.Kind.ToString().ToLowerInvariant(),
            status.Verdict.Detail, status.Watch.WarnedAt, status.Watch.ActionDueAt, status.Watch.KeptUntil, status.Watch.KeepReason,
            ToBody(status.Policy));
}
