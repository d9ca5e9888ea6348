using Microsoft.EntityFrameworkCore;
using Portal.Api.Contracts;
using Portal.Core.Scheduling;
using Portal.Data;
using Portal.Data.Jobs;
using Portal.Data.Quotas;
using Portal.Jobs;
using Portal.Web.Security.ApiTokens;
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
        admin.MapGet("/jobs", (HttpContext context, JobStore jobs) => JobApiEndpoints.ListJobsAsync(context, jobs, allUsers: true))
            .WithName("AdminListJobs").WithSummary("Everyone's jobs, newest first")
            .WithDescription("Query: owner (user id), state (repeatable or comma-separated), skip, take (1 to 500).")
            .Produces<JobListResponse>().ProducesValidationProblem();
        admin.MapGet("/quotas", GetQuotasAsync).WithName("AdminGetQuotas").WithSummary("The default policy and the quota groups")
            .Produces<QuotaOverviewResponse>();
        admin.MapGet("/users/{id:guid}/quota", GetUserQuotaAsync).WithName("AdminGetUserQuota")
            .WithSummary("A user's override and effective limits")
            .Produces<UserQuotaResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPut("/users/{id:guid}/quota", SetUserQuotaAsync).WithName("AdminSetUserQuota")
            .WithSummary("Replace a user's override (null fields inherit)")
            .Accepts<QuotaPolicyRequest>("application/json")
            .Produces<UserQuotaResponse>().ProducesValidationProblem().ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapDelete("/users/{id:guid}/quota", RemoveUserQuotaAsync).WithName("AdminRemoveUserQuota")
            .WithSummary("Remove a user's override").Produces<UserQuotaResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPost("/gpus/{uuid}/drain", (string uuid, HttpContext context, GpuStore gpus, JobRunner runner, AuditLog audit) =>
                SetDrainedAsync(uuid, drained: true, context, gpus, runner, audit))
            .WithName("AdminDrainGpu").WithSummary("Drain a GPU: running jobs finish, nothing new starts on it")
            .Accepts<DrainGpuRequest>("application/json")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        admin.MapPost("/gpus/{uuid}/undrain", (string uuid, HttpContext context, GpuStore gpus, JobRunner runner, AuditLog audit) =>
                SetDrainedAsync(uuid, drained: false, context, gpus, runner, audit))
            .WithName("AdminUndrainGpu").WithSummary("Return a drained GPU to service")
            .Produces(StatusCodes.Status204NoContent).ProducesProblem(StatusCodes.Status404NotFound);
        return admin;
    }

    private static async Task<IResult> GetQuotasAsync(HttpContext context, QuotaStore quotas)
    {
        var defaults = await quotas.GetDefaultAsync(context.RequestAborted);
        var groups = await quotas.ListGroupsAsync(context.RequestAborted);
        return TypedResults.Ok(new QuotaOverviewResponse(
            QuotaContractMapping.ToRequest(defaults),
            [.. groups.Select(g => new QuotaGroupResponse(g.Id, g.Name, QuotaContractMapping.ToRequest(g.Policy), g.MemberIds))]));
    }

    private static async Task<IResult> GetUserQuotaAsync(Guid id, HttpContext context, QuotaStore quotas, IDbContextFactory<PortalDbContext> contexts) =>
        await UserExistsAsync(id, contexts, context.RequestAborted)
            ? TypedResults.Ok(await UserQuotaAsync(id, quotas, context.RequestAborted))
            : NoSuchUser(id);

    private static async Task<IResult> SetUserQuotaAsync(
        Guid id, HttpContext context, QuotaStore quotas, IDbContextFactory<PortalDbContext> contexts, JobRunner runner, AuditLog audit)
    {
        var (request, problem) = await ApiBody.ReadAsync<QuotaPolicyRequest>(context);
        if (problem is not null)
        {
            return problem;
        }

        var (policy, errors) = QuotaContractMapping.ToPolicy(request!);
        if (policy is null)
        {
            return ApiProblems.Validation(errors);
        }

        if (!await UserExistsAsync(id, contexts, context.RequestAborted))
        {
            return NoSuchUser(id);
        }

        await quotas.SetUserOverrideAsync(id, policy, context.RequestAborted);
        await AuditAsync(audit, context, AuditActions.QuotaOverrideSet, id.ToString(), QuotaContractMapping.Describe(policy));
        runner.RequestPass(SchedulingCause.QuotaChanged);
        return TypedResults.Ok(await UserQuotaAsync(id, quotas, context.RequestAborted));
    }

    private static async Task<IResult> RemoveUserQuotaAsync(
        Guid id, HttpContext context, QuotaStore quotas, IDbContextFactory<PortalDbContext> contexts, JobRunner runner, AuditLog audit)
    {
        if (!await UserExistsAsync(id, contexts, context.RequestAborted))
        {
            return NoSuchUser(id);
        }

        await quotas.SetUserOverrideAsync(id, null, context.RequestAborted);
        await AuditAsync(audit, context, AuditActions.QuotaOverrideRemoved, id.ToString(), null);
        runner.RequestPass(SchedulingCause.QuotaChanged);
        return TypedResults.Ok(await UserQuotaAsync(id, quotas, context.RequestAborted));
    }

    private static async Task<IResult> SetDrainedAsync(
        string uuid, bool drained, HttpContext context, GpuStore gpus, JobRunner runner, AuditLog audit)
    {
        string? reason = null;
        // The body is optional: read it when one is declared (a length, or chunked with a content type).
        if (drained && (context.Request.ContentLength > 0 || context.Request.ContentType is not null))
        {
            var (request, problem) = await ApiBody.ReadAsync<DrainGpuRequest>(context);
            if (problem is not null)
            {
                return problem;
            }

            reason = request!.Reason?.Trim();
            if (reason is { Length: > 256 })
            {
                return ApiProblems.Validation("reason", "Use at most 256 characters.");
            }
        }

        var caller = ApiCaller.From(context.User);
        if (!await gpus.SetGpuDrainedAsync(uuid, drained, caller.Name, reason, context.RequestAborted))
        {
            return ApiProblems.NotFound($"There is no GPU {uuid}.");
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

    private static async Task<bool> UserExistsAsync(Guid id, IDbContextFactory<PortalDbContext> contexts, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Users.AnyAsync(u => u.Id == id, cancellationToken);
    }

    private static IResult NoSuchUser(Guid id) => ApiProblems.NotFound($"There is no user {id}.");

    private static Task AuditAsync(AuditLog audit, HttpContext context, string action, string target, string? detail)
    {
        var caller = ApiCaller.From(context.User);
        return audit.WriteAsync(action, new AuditActor(caller.Id, caller.Name), succeeded: true, target,
            detail is null ? "through the API" : detail + " (through the API)", context.RequestAborted);
    }
}
