using System.Text;
using Portal.Api.Contracts;
using Portal.Core.Apps;
using Portal.Data.Jobs;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Security.ApiTokens;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Apps;

namespace Portal.Web.Endpoints.Api;

/// <summary>
/// Apps (docs/apps.md): review a file, queue it, read its services, one service's log, the export. Review and submit
/// go through <see cref="AppSubmissions"/>, as the "New app" page does. Another user's app answers 404, like one that
/// does not exist.
/// </summary>
internal static class AppApiEndpoints
{
    public static RouteGroupBuilder MapAppApi(this RouteGroupBuilder api)
    {
        api.MapPost("/apps/review", ReviewAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("ReviewApp").WithTags("Apps").WithSummary("What the portal understands from a compose file or Pod; starts nothing")
            .Accepts<AppRequest>("application/json").Produces<AppReviewResponse>();
        api.MapPost("/apps", SubmitAsync).RequireScope(ApiScopes.JobsWrite)
            .WithName("SubmitApp").WithTags("Apps").WithSummary("Queue an app as one job")
            .Accepts<AppRequest>("application/json")
            .Produces<SubmitJobResponse>(StatusCodes.Status201Created).Produces<AppReviewResponse>(StatusCodes.Status422UnprocessableEntity);
        api.MapGet("/apps/{id:long}", GetAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("GetApp").WithTags("Apps").WithSummary("An app's state and each service's container")
            .Produces<AppResponse>().ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/apps/{id:long}/export", ExportAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("ExportApp").WithTags("Apps").WithSummary("What ran, as podman kube generate writes it")
            .Produces<AppExportResponse>().ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/apps/{id:long}/services/{service}/logs", LogsAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("AppServiceLogs").WithTags("Apps").WithSummary("One service's log as plain text (follow=true to stream)")
            .Produces<string>(contentType: "text/plain").ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    private static async Task<IResult> ReviewAsync(HttpContext context, AppSubmissions apps)
    {
        var (request, problem) = await ApiBody.ReadAsync<AppRequest>(context);
        if (problem is not null)
        {
            return problem;
        }

        var review = await apps.ReviewAsync(Caller(context), request!.File ?? "", request.Name, Walltime(request), context.RequestAborted);
        return TypedResults.Ok(ToResponse(review));
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, AppSubmissions apps)
    {
        var (request, problem) = await ApiBody.ReadAsync<AppRequest>(context);
        if (problem is not null)
        {
            return problem;
        }

        var (id, review) = await apps.SubmitAsync(Caller(context), request!.File ?? "", request.Name, Walltime(request), context.RequestAborted);
        return id is { } jobId
            ? TypedResults.Created($"{ApiRoutes.Prefix}/apps/{jobId}", new SubmitJobResponse(jobId, JobStates.Queued))
            : TypedResults.UnprocessableEntity(ToResponse(review));
    }

    private static async Task<IResult> GetAsync(long id, HttpContext context, JobStore jobs, ILauncher launcher)
    {
        var caller = ApiCaller.From(context.User);
        var details = await jobs.GetAsync(id, caller.Id, caller.ActsAsAdmin, context.RequestAborted);
        if (details is null || !details.Job.Spec.IsApp)
        {
            return NoSuchApp(id);
        }

        var services = details.Job.ContainerId is null ? [] : await ServicesOrEmptyAsync(launcher, details.Job.Owner, id, context.RequestAborted);
        return TypedResults.Ok(new AppResponse(id, details.Job.Spec.Name, details.Job.State.ToString(),
            [.. services.Select(s => new AppServiceStateResponse(s.Service ?? "?", s.State, s.ExitCode, s.StartedAt, s.FinishedAt))]));
    }

    private static async Task<IResult> ExportAsync(long id, HttpContext context, JobStore jobs, ILauncher launcher)
    {
        var caller = ApiCaller.From(context.User);
        var details = await jobs.GetAsync(id, caller.Id, caller.ActsAsAdmin, context.RequestAborted);
        if (details is null || !details.Job.Spec.IsApp)
        {
            return NoSuchApp(id);
        }

        try
        {
            return TypedResults.Ok(new AppExportResponse(await launcher.AppExportAsync(details.Job.Owner, JobKeys.Format(id), context.RequestAborted)));
        }
        catch (LauncherException e)
        {
            return ApiProblems.Conflict($"App {id} has no pod to export (it has not started, or was removed): {e.Message}");
        }
    }

    private static async Task<IResult> LogsAsync(long id, string service, HttpContext context, JobStore jobs, ILauncher launcher)
    {
        var caller = ApiCaller.From(context.User);
        var details = await jobs.GetAsync(id, caller.Id, caller.ActsAsAdmin, context.RequestAborted);
        var spec = details?.Job.Spec.IsApp == true ? AppFileParser.Parse(details.Job.Spec.AppFile!).Spec : null;
        if (details is null || spec is null || !spec.Services.Any(s => s.Name == service))
        {
            return ApiProblems.NotFound($"There is no app {id} with a service '{service}' that you can see.");
        }

        var follow = context.Request.Query["follow"] == "true";
        return new ServiceLog(launcher.StreamLogsAsync(details.Job.Owner, JobKeys.Format(id), new LogsSpec { Follow = follow, Service = service }, context.RequestAborted));
    }

    /// <summary>Each line as it comes; a launcher failure mid-way ends the text with a line that says so.</summary>
    private sealed class ServiceLog(IAsyncEnumerable<string> lines) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "text/plain; charset=utf-8";
            httpContext.Response.Headers["X-Content-Type-Options"] = "nosniff";
            try
            {
                await foreach (var line in lines)
                {
                    await httpContext.Response.WriteAsync(line + "\n", Encoding.UTF8, httpContext.RequestAborted);
                    await httpContext.Response.Body.FlushAsync(httpContext.RequestAborted);
                }
            }
            catch (LauncherException e)
            {
                await httpContext.Response.WriteAsync("[portal] the log could not be read: " + e.Message + "\n", Encoding.UTF8, httpContext.RequestAborted);
            }
        }
    }

    internal static async Task<IReadOnlyList<ContainerState>> ServicesOrEmptyAsync(ILauncher launcher, string owner, long id, CancellationToken cancellationToken)
    {
        try
        {
            return await launcher.AppInspectAsync(owner, JobKeys.Format(id), cancellationToken);
        }
        catch (LauncherException)
        {
            return [];
        }
    }

    public static AppReviewResponse ToResponse(AppReview review)
    {
        var spec = review.Spec;
        var services = spec is null ? [] : spec.Services.Select(s => new AppServicePlanResponse(
            s.Name, s.Image, s.Entrypoint, s.Command, s.Gpus, s.Cpus ?? AppSpecValidator.DefaultServiceCpus, s.MemoryMiB ?? AppSpecValidator.DefaultServiceMemoryMiB,
            [.. s.Binds.Select(b => $"{b.Source} -> {b.Target}{(b.ReadOnly ? " (ro)" : "")}"), .. s.Volumes.Select(v => $"volume {v.Volume} -> {v.Target}{(v.ReadOnly ? " (ro)" : "")}")],
            [.. s.DependsOn.Select(d => d.Condition == AppDependencyCondition.Healthy ? d.Service + " (healthy)" : d.Service)],
            s.Ports, s.Healthcheck is not null)).ToList();
        return new AppReviewResponse(review.IsValid, [.. review.Problems.Select(p => new AppProblemResponse(p.Line, p.Key, p.Message))],
            services, spec?.Volumes ?? [], spec?.WebFront is { } web ? $"{web.Service}:{web.Port}" : null,
            spec?.TotalGpus ?? 0, spec is null ? 0 : AppSpecValidator.TotalCpus(spec), spec is null ? 0 : AppSpecValidator.TotalMemoryMiB(spec));
    }

    private static CurrentUser Caller(HttpContext context)
    {
        var caller = ApiCaller.From(context.User);
        return new CurrentUser(caller.Id, caller.Name, caller.ActsAsAdmin, caller.LinuxUserName);
    }

    private static TimeSpan? Walltime(AppRequest request) => request.WalltimeMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null;

    private static IResult NoSuchApp(long id) => ApiProblems.NotFound($"There is no app {id} that you can see.");
}
