using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Api.Contracts;
using Portal.Core.Scheduling;
using Portal.Data.Accounts;
using Portal.Data.Jobs;
using Portal.Data.Quotas;
using Portal.Jobs;
using Portal.Web.Security.ApiTokens;
using Portal.Web.Services.Admin;
using Portal.Web.Services.Audit;

namespace Portal.Web.Endpoints.Api;

/// <summary>
/// The admin endpoints: users (<see cref="AdminUserApiEndpoints"/>), quotas, all jobs, draining GPUs. Each needs a token with the admin scope whose
/// account is an administrator at the time of the request. Changes are audited as the admin pages audit theirs, and
/// wake the scheduler as they do.
/// </summary>
internal static class AdminApiEndpoints
{
    public static RouteGroupBuilder MapAdminApi(this RouteGroupBuilder admin)
    {
        admin.RequireScope(ApiScopes.Admin).WithTags("Admin");
        admin.MapAdminUserApi();
        admin.MapAdminJobIdleApi();
        admin.MapGet("/jobs", (HttpContext context, JobStore jobs) => JobApiEndpoints.ListJobsAsync(context, jobs, allUsers: true))
            .WithName("AdminListJobs").WithSummary("Everyone's jobs, newest first")
            .WithDescription("Query: owner (user id), state (repeatable or comma-separated), skip, take (1 to 500).");
        admin.MapGet("/quotas", GetQuotasAsync).WithName("AdminGetQuotas").WithSummary("The default policy and the quota groups");
        admin.MapGet("/users/{id:guid}/quota", GetUserQuotaAsync).WithName("AdminGetUserQuota")
            .WithSummary("A user's override and effective limits")
            .ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPut("/users/{id:guid}/quota", SetUserQuotaAsync).WithName("AdminSetUserQuota")
            .WithSummary("Replace a user's override (null fields inherit)")
            .Accepts<QuotaPolicyRequest>("application/json")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        admin.MapDelete("/users/{id:guid}/quota", RemoveUserQuotaAsync).WithName("AdminRemoveUserQuota")
            .WithSummary("Remove a user's override").ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPost("/gpus/{uuid}/drain", (string uuid, HttpContext context, GpuStore gpus, JobRunner runner, AuditLog audit) =>
                SetDrainedAsync(uuid, drained: true, context, gpus, runner, audit))
            .WithName("AdminDrainGpu").WithSummary("Drain a GPU: running jobs finish, nothing new starts on it")
            .Accepts<DrainGpuRequest>("application/json")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        admin.MapPost("/gpus/{uuid}/undrain", (string uuid, HttpContext context, GpuStore gpus, JobRunner runner, AuditLog audit) =>
                SetDrainedAsync(uuid, drained: false, context, gpus, runner, audit))
            .WithName("AdminUndrainGpu").WithSummary("Return a drained GPU to service")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        return admin;
    }

    private static async Task<Ok<QuotaOverviewResponse>> GetQuotasAsync(HttpContext context, QuotaStore quotas)
    {
        var defaults = await quotas.GetDefaultAsync(context.RequestAborted);
        var groups = await quotas.ListGroupsAsync(context.RequestAborted);
        return TypedResults.Ok(new QuotaOverviewResponse(
            QuotaContractMapping.ToRequest(defaults),
            [.. groups.Select(g => new QuotaGroupResponse(g.Id, g.Name, QuotaContractMapping.ToRequest(g.Policy), g.MemberIds))]));
    }

    private static async Task<Results<Ok<UserQuotaResponse>, ProblemHttpResult>> GetUserQuotaAsync(Guid id, HttpContext context, QuotaStore quotas, UserStore users) =>
        await users.ExistsAsync(id, context.RequestAborted)
            ? TypedResults.Ok(await UserQuotaAsync(id, quotas, context.RequestAborted))
            : NoSuchUser(id);

    private static async Task<Results<Ok<UserQuotaResponse>, ValidationProblem, ProblemHttpResult>> SetUserQuotaAsync(
        Guid id, HttpContext context, QuotaStore quotas, UserStore users, JobRunner runner, AuditLog audit)
    {
        var body = await ApiBody.ReadAsync<QuotaPolicyRequest>(context);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        if (body.Invalid is { } invalid)
        {
            return invalid;
        }

        var (policy, errors) = QuotaContractMapping.ToPolicy(body.Value!);
        if (policy is null)
        {
            return ApiProblems.Validation(errors);
        }

        if (!await users.ExistsAsync(id, context.RequestAborted))
        {
            return NoSuchUser(id);
        }

        await quotas.SetUserOverrideAsync(id, policy, context.RequestAborted);
        await AuditAsync(audit, context, AuditActions.QuotaOverrideSet, id.ToString(), QuotaContractMapping.Describe(policy));
        runner.RequestPass(SchedulingCause.QuotaChanged);
        return TypedResults.Ok(await UserQuotaAsync(id, quotas, context.RequestAborted));
    }

    private static async Task<Results<Ok<UserQuotaResponse>, ProblemHttpResult>> RemoveUserQuotaAsync(
        Guid id, HttpContext context, QuotaStore quotas, UserStore users, JobRunner runner, AuditLog audit)
    {
        if (!await users.ExistsAsync(id, context.RequestAborted))
        {
            return NoSuchUser(id);
        }

        await quotas.SetUserOverrideAsync(id, null, context.RequestAborted);
        await AuditAsync(audit, context, AuditActions.QuotaOverrideRemoved, id.ToString(), null);
        runner.RequestPass(SchedulingCause.QuotaChanged);
        return TypedResults.Ok(await UserQuotaAsync(id, quotas, context.RequestAborted));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> SetDrainedAsync(
        string uuid, bool drained, HttpContext context, GpuStore gpus, JobRunner runner, AuditLog audit)
    {
        string? reason = null;
        // The body is optional: read it when one is declared (a length, or chunked with a content type).
        if (drained && (context.Request.ContentLength > 0 || context.Request.ContentType is not null))
        {
            var body = await ApiBody.ReadAsync<DrainGpuRequest>(context);
            if (body.Problem is { } problem)
            {
                return problem;
            }

            if (body.Invalid is { } invalid)
            {
                return invalid;
            }

            reason = body.Value!.Reason?.Trim();
            if (reason is { Length: > 256 })
            {
                return ApiProblems.Validation("reason", "Use at most 256 characters.");
            }
        }

        var caller = ApiCaller.From(context.User);
        switch (await gpus.SetGpuDrainedAsync(uuid, drained, caller.Name, reason, context.RequestAborted))
        {
            case GpuDrainOutcome.NoSuchGpu:
                return ApiProblems.NotFound($"There is no GPU {uuid}.");
            case GpuDrainOutcome.NotInLauncherPolicy:
                return ApiProblems.Conflict(GpuAdministration.NotInPolicy(uuid));
        }

        await AuditAsync(audit, context, drained ? AuditActions.GpuDrained : AuditActions.GpuUndrained, uuid, reason);
        runner.RequestPass(SchedulingCause.GpuDrainChanged);
        return TypedResults.NoContent();
    }

    private static async Task<UserQuotaResponse> UserQuotaAsync(Guid id, QuotaStore quotas, CancellationToken cancellationToken)
    {
        var policy = await quotas.GetUserOverrideAsync(id, cancellationToken);
        var effective = await quotas.ResolveAsync(id, cancellationToken);
        return new UserQuotaResponse(id, policy is null ? null : QuotaContractMapping.ToRequest(policy), QuotaApiEndpoints.ToResponse(effective));
    }

    private static ProblemHttpResult NoSuchUser(Guid id) => ApiProblems.NotFound($"There is no user {id}.");

    private static Task AuditAsync(AuditLog audit, HttpContext context, string action, string target, string? detail)
    {
        var caller = ApiCaller.From(context.User);
        return audit.WriteAsync(action, new AuditActor(caller.Id, caller.Name), succeeded: true, target,
            detail is null ? "through the API" : detail + " (through the API)", context.RequestAborted);
    }
}
