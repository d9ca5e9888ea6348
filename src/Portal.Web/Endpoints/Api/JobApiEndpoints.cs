using Portal.Api.Contracts;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Data.Jobs;
using Portal.Jobs;
using Portal.Web.Security.ApiTokens;
using Portal.Web.Services.Slurm;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.JobForms;
using Portal.Web.Services.Jobs;

namespace Portal.Web.Endpoints.Api;

/// <summary>
/// Jobs: submit, list, read, cancel. The same path as the web pages: <see cref="JobStore"/> validates with the
/// launch form's validator under the submitter's quota, and <see cref="JobCancellation"/> cancels (and audits) as
/// the pages do.
/// Another user's job answers 404, exactly like a job that does not exist.
/// </summary>
internal static class JobApiEndpoints
{
    public static RouteGroupBuilder MapJobApi(this RouteGroupBuilder api)
    {
        api.MapPost("/jobs", SubmitAsync).RequireScope(ApiScopes.JobsWrite)
            .WithName("SubmitJob").WithTags("Jobs").WithSummary("Queue a job")
            .Accepts<SubmitJobRequest>("application/json")
            .Produces<SubmitJobResponse>(StatusCodes.Status201Created)
            .ProducesValidationProblem().ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        api.MapGet("/jobs", ListAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("ListJobs").WithTags("Jobs").WithSummary("Your jobs, newest first")
            .WithDescription("Query: state (repeatable or comma-separated), skip (default 0), take (1 to 500, default 50).")
            .Produces<JobListResponse>().ProducesValidationProblem();
        api.MapGet("/jobs/{id:long}", GetAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("GetJob").WithTags("Jobs").WithSummary("One of your jobs with its history")
            .Produces<JobResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/jobs/{id:long}/cancel", CancelAsync).RequireScope(ApiScopes.JobsWrite)
            .WithName("CancelJob").WithTags("Jobs").WithSummary("Withdraw a queued job or stop a started one")
            .Produces<JobResponse>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return api;
    }

    /// <summary>Lists jobs for a caller: their own, or (admin endpoint) anyone's filtered by owner.</summary>
    public static async Task<IResult> ListJobsAsync(HttpContext context, JobStore jobs, bool allUsers)
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

    private static async Task<IResult> SubmitAsync(
        HttpContext context, JobStore jobs, JobRunner runner, MountRootResolver mountRoots, ClusterCapacitySource clusterCapacity)
    {
        var (request, problem) = await ApiBody.ReadAsync<SubmitJobRequest>(context);
        if (problem is not null)
        {
            return problem;
        }

        var (spec, errors) = JobContractMapping.ToSpec(request!);
        if (spec is null)
        {
            return ApiProblems.Validation(errors);
        }

        var caller = ApiCaller.From(context.User);
        var roots = caller.LinuxUserName is { } linuxUser
            ? await mountRoots.ForAsync(linuxUser, context.RequestAborted)
            : [];
        var cluster = await clusterCapacity.CurrentAsync(context.RequestAborted);
        var result = await jobs.SubmitAsync(new JobSubmission(caller.Id, spec, caller.ActsAsAdmin, roots, Cluster: cluster), context.RequestAborted);
        if (result.JobId is not { } id)
        {
            return ApiProblems.JobValidation(result.Errors, spec.Gpus.IsSpecific);
        }

        runner.RequestPass(SchedulingCause.JobSubmitted);
        return TypedResults.Created($"{ApiRoutes.Prefix}/jobs/{id}", new SubmitJobResponse(id, JobStates.Queued));
    }

    private static Task<IResult> ListAsync(HttpContext context, JobStore jobs) => ListJobsAsync(context, jobs, allUsers: false);

    private static async Task<IResult> GetAsync(long id, HttpContext context, JobStore jobs)
    {
        var caller = ApiCaller.From(context.User);
        var details = await jobs.GetAsync(id, caller.Id, caller.ActsAsAdmin, context.RequestAborted);
        return details is null ? NoSuchJob(id) : TypedResults.Ok(JobContractMapping.ToResponse(details));
    }

    private static async Task<IResult> CancelAsync(long id, HttpContext context, JobStore jobs, JobCancellation cancellation)
    {
        var caller = ApiCaller.From(context.User);
        // The pages' path: authorize (own job, or any with admin role and scope), cancel on the runner's loop, audit.
        var requester = new CurrentUser(caller.Id, caller.Name, caller.ActsAsAdmin, caller.LinuxUserName);
        var result = await cancellation.CancelAsync(requester, id, context.RequestAborted);
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

    public static IResult NoSuchJob(long id) => ApiProblems.NotFound($"There is no job {id} that you can see.");
}
