using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Api.Contracts;
using Portal.Core.Sessions;
using Portal.Data.Jobs;
using Portal.Web.Security.ApiTokens;
using Portal.Web.Services.Sessions.Idle;

namespace Portal.Web.Endpoints.Api;

/// <summary>
/// Idle reclaim of a session: where it stands, and the owner's "keep" (the session page's, with the same audit).
/// Another user's job answers 404, as everywhere.
/// </summary>
internal static class SessionIdleApiEndpoints
{
    public static RouteGroupBuilder MapSessionIdleApi(this RouteGroupBuilder api)
    {
        api.MapGet("/jobs/{id:long}/idle", GetAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("GetSessionIdle").WithTags("Jobs").WithSummary("A running session against its idle policy")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapPost("/jobs/{id:long}/keep", KeepAsync).RequireScope(ApiScopes.JobsWrite)
            .WithName("KeepSession").WithTags("Jobs").WithSummary("Record why your session should not be reclaimed while idle")
            .WithDescription("The keep lasts the policy's longest keep (8 h unless the quota group says otherwise); a new keep replaces the old one. Audited.")
            .Accepts<KeepSessionRequest>("application/json")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        return api;
    }

    private static async Task<Results<Ok<SessionIdleResponse>, ProblemHttpResult>> GetAsync(
        long id, HttpContext context, JobStore jobs, ISessionIdleSource idle)
    {
        var caller = ApiCaller.From(context.User);
        var details = await jobs.GetAsync(id, caller.Id, caller.ActsAsAdmin, context.RequestAborted);
        if (details?.Job.Spec.Session is null)
        {
            return ApiProblems.NotFound($"There is no session {id} that you can see.");
        }

        return TypedResults.Ok(ToResponse(id, idle.Status(id)));
    }

    private static async Task<Results<Ok<SessionIdleResponse>, ValidationProblem, ProblemHttpResult>> KeepAsync(
        long id, HttpContext context, SessionKeeping keeping, ISessionIdleSource idle)
    {
        var body = await ApiBody.ReadAsync<KeepSessionRequest>(context);
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

        var status = idle.Status(id);
        var response = ToResponse(id, status);
        return TypedResults.Ok(response with
        {
            Phase = status is null ? null : Phase(SessionIdlePhase.Kept),
            KeepUntil = result.Until,
            KeepReason = body.Value.Reason!.Trim(),
        });
    }

    private static SessionIdleResponse ToResponse(long id, SessionIdleStatus? status) =>
        status is null
            ? new SessionIdleResponse(id, null, null, null, null, null, null, null)
            : new SessionIdleResponse(id, Phase(status.State.Phase), status.State.LastActiveAt, status.State.WarnAt, status.State.StopAt,
                status.KeepUntil, status.KeepReason,
                new SessionIdlePolicyResponse((int)status.Policy.Window.TotalSeconds, (int)status.Policy.Grace.TotalSeconds,
                    status.Policy.GpuThresholdPercent, (int)status.Policy.KeepLimit.TotalSeconds));

    private static string Phase(SessionIdlePhase phase) => phase.ToString().ToLowerInvariant();
}
