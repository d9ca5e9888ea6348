using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Api.Contracts;
using Portal.Core.Jobs;
using Portal.Data.Jobs;
using Portal.Web.Security.ApiTokens;
using Portal.Web.Services.Jobs;

namespace Portal.Web.Endpoints.Api;

/// <summary>
/// Jobs: submit, list, read, cancel. The same path as the web pages: <see cref="JobSubmissions"/> validates and queues
/// under the submitter's quota, and <see cref="JobCancellation"/> cancels (and audits) as the pages do.
/// Another user's job answers 404, exactly like a job that does not exist.
/// </summary>
internal static class JobApiEndpoints
{
    /// <summary>The request header that carries the submission's idempotency key (the name Stripe and the IETF draft use).</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public static RouteGroupBuilder MapJobApi(this RouteGroupBuilder api)
    {
        // Success and validation answers are declared by the handlers' typed results; a Problem's status is not, so
        // those are listed here.
        api.MapPost("/jobs", SubmitAsync).RequireScope(ApiScopes.JobsWrite)
            .WithName("SubmitJob").WithTags("Jobs").WithSummary("Queue a job")
            .WithDescription("An Idempotency-Key header (1 to 100 visible ASCII characters) makes a retry safe: the same key "
                + "from the same user again answers 200 with the job the first request queued, and queues nothing.")
            .Accepts<SubmitJobRequest>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        api.MapGet("/jobs", ListAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("ListJobs").WithTags("Jobs").WithSummary("Your jobs, newest first")
            .WithDescription("Query: state (repeatable or comma-separated), skip (default 0), take (1 to 500, default 50).");
        api.MapGet("/jobs/{id:long}", GetAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("GetJob").WithTags("Jobs").WithSummary("One of your jobs with its history")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/jobs/{id:long}/cancel", CancelAsync).RequireScope(ApiScopes.JobsWrite)
            .WithName("CancelJob").WithTags("Jobs").WithSummary("Withdraw a queued job or stop a started one")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    /// <summary>Lists jobs for a caller: their own, or (admin endpoint) anyone's filtered by owner.</summary>
    public static async Task<Results<Ok<JobListResponse>, ValidationProblem>> ListJobsAsync(HttpContext context, JobStore jobs, bool allUsers)
    {
        var caller = ApiCaller.From(context.User);
        var query = new ApiQuery(context.Request.Query);
        var states = query.Enums<JobState>("state");
        var skip = query.Int("skip", 0, 0, int.MaxValue);
        var take = query.Int("take", 50, 1, JobListQuery.MaxTake);
        var owner = allUsers ? query.Guid("owner") : null;
        if (query.Errors.Count > 0)
        {
            return ApiProblems.Validation(query.Errors);
        }

        var page = await jobs.ListAsync(caller.Id, allUsers, new JobListQuery(owner, states, skip, take), context.RequestAborted);
        return TypedResults.Ok(new JobListResponse([.. page.Items.Select(JobContractMapping.ToResponse)], page.Total, skip, take));
    }

    private static async Task<Results<Created<SubmitJobResponse>, Ok<SubmitJobResponse>, ValidationProblem, ProblemHttpResult>> SubmitAsync(
        HttpContext context, JobSubmissions submissions, JobStore jobs)
    {
        string? idempotencyKey = context.Request.Headers.TryGetValue(IdempotencyKeyHeader, out var keys) ? keys.ToString() : null;
        if (IdempotencyKeys.Validate(idempotencyKey) is { } badKey)
        {
            return ApiProblems.Validation(IdempotencyKeyHeader, badKey.Message);
        }

        var body = await ApiBody.ReadAsync<SubmitJobRequest>(context);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        if (body.Invalid is { } invalid)
        {
            return invalid;
        }

        var (spec, errors) = JobContractMapping.ToSpec(body.Value!);
        if (spec is null)
        {
            return ApiProblems.Validation(errors);
        }

        var caller = ApiCaller.From(context.User);
        var result = await submissions.SubmitAsync(caller.AsRequester(), spec, context.RequestAborted, idempotencyKey);
        if (result.JobId is not { } id)
        {
            return ApiProblems.JobValidation(result.Errors, spec.Gpus.IsSpecific);
        }

        if (result.Repeated)
        {
            // The key's job, as it stands now (it may have started or ended since the first request).
            var earlier = await jobs.GetAsync(id, caller.Id, caller.ActsAsAdmin, context.RequestAborted);
            return TypedResults.Ok(new SubmitJobResponse(id, earlier?.Job.State.ToString() ?? JobStates.Queued));
        }

        return TypedResults.Created($"{ApiRoutes.Prefix}/jobs/{id}", new SubmitJobResponse(id, JobStates.Queued));
    }

    private static Task<Results<Ok<JobListResponse>, ValidationProblem>> ListAsync(HttpContext context, JobStore jobs) =>
        ListJobsAsync(context, jobs, allUsers: false);

    private static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> GetAsync(long id, HttpContext context, JobStore jobs)
    {
        var caller = ApiCaller.From(context.User);
        var details = await jobs.GetAsync(id, caller.Id, caller.ActsAsAdmin, context.RequestAborted);
        return details is null ? NoSuchJob(id) : TypedResults.Ok(JobContractMapping.ToResponse(details));
    }

    private static async Task<Results<Ok<JobResponse>, ProblemHttpResult>> CancelAsync(
        long id, HttpContext context, JobStore jobs, JobCancellation cancellation)
    {
        var caller = ApiCaller.From(context.User);
        // The pages' path: authorize (own job, or any with admin role and scope), cancel on the runner's loop, audit.
        var result = await cancellation.CancelAsync(caller.AsRequester(), id, context.RequestAborted);
        if (result.Status == JobChangeStatus.NotFound)
        {
            return NoSuchJob(id);
        }

        if (!result.Applied)
        {
            return ApiProblems.Conflict(result.Message ?? $"Job {id} can no longer be cancelled.");
        }

        var after = await jobs.GetAsync(id, caller.Id, caller.ActsAsAdmin, context.RequestAborted);
        return after is null ? NoSuchJob(id) : TypedResults.Ok(JobContractMapping.ToResponse(after));
    }

    public static ProblemHttpResult NoSuchJob(long id) => ApiProblems.NotFound($"There is no job {id} that you can see.");
}
