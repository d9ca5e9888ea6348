using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Api.Contracts;
using Portal.Core.Apps;
using Portal.Data.Jobs;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Security.ApiTokens;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Apps;
using Portal.Web.Services.Jobs;
using Portal.Web.Services.Sessions;

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
        // Success and validation answers are declared by the handlers' typed results; a Problem's status is not, so
        // those are listed here.
        api.MapPost("/apps/review", ReviewAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("ReviewApp").WithTags("Apps").WithSummary("What the portal understands from a compose file or Pod; starts nothing")
            .Accepts<AppRequest>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        api.MapPost("/apps", SubmitAsync).RequireScope(ApiScopes.JobsWrite)
            .WithName("SubmitApp").WithTags("Apps").WithSummary("Queue an app as one job")
            .Accepts<AppRequest>("application/json")
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status415UnsupportedMediaType);
        api.MapGet("/apps/{id:long}", GetAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("GetApp").WithTags("Apps").WithSummary("An app's state and each service's container")
            .ProducesProblem(StatusCodes.Status404NotFound);
        api.MapGet("/apps/{id:long}/export", ExportAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("ExportApp").WithTags("Apps").WithSummary("What ran, as podman kube generate writes it")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        api.MapGet("/apps/{id:long}/services/{service}/logs", LogsAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("AppServiceLogs").WithTags("Apps").WithSummary("One service's log as plain text (follow=true to stream)")
            .Produces<string>(StatusCodes.Status200OK, "text/plain")
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status502BadGateway);
        return api;
    }

    private static async Task<Results<Ok<AppReviewResponse>, ValidationProblem, ProblemHttpResult>> ReviewAsync(
        HttpContext context, AppSubmissions apps)
    {
        var body = await ApiBody.ReadAsync<AppRequest>(context);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        if (body.Invalid is { } invalid)
        {
            return invalid;
        }

        var request = body.Value!;
        var review = await apps.ReviewAsync(Caller(context), request.File ?? "", request.Name, Walltime(request), context.RequestAborted);
        return TypedResults.Ok(ToResponse(review));
    }

    private static async Task<Results<Created<SubmitJobResponse>, UnprocessableEntity<AppReviewResponse>, ValidationProblem, ProblemHttpResult>> SubmitAsync(
        HttpContext context, AppSubmissions apps)
    {
        var body = await ApiBody.ReadAsync<AppRequest>(context);
        if (body.Problem is { } problem)
        {
            return problem;
        }

        if (body.Invalid is { } invalid)
        {
            return invalid;
        }

        var request = body.Value!;
        var (id, review) = await apps.SubmitAsync(Caller(context), request.File ?? "", request.Name, Walltime(request), context.RequestAborted);
        return id is { } jobId
            ? TypedResults.Created($"{ApiRoutes.Prefix}/apps/{jobId}", new SubmitJobResponse(jobId, JobStates.Queued))
            : TypedResults.UnprocessableEntity(ToResponse(review));
    }

    private static async Task<Results<Ok<AppResponse>, ProblemHttpResult>> GetAsync(long id, HttpContext context, JobStore jobs, JobOutput output)
    {
        var caller = ApiCaller.From(context.User);
        var details = await jobs.GetAsync(id, caller.Id, caller.ActsAsAdmin, context.RequestAborted);
        if (details is null || !details.Job.Spec.IsApp)
        {
            return NoSuchApp(id);
        }

        var services = await output.ServiceStatesAsync(details, context.RequestAborted);
        var web = AppFileParser.Parse(details.Job.Spec.AppFile ?? "").Spec?.WebFront;
        return TypedResults.Ok(new AppResponse(id, details.Job.Spec.Name, details.Job.State.ToString(),
            [.. services.Select(s => new AppServiceStateResponse(s.Service ?? "?", s.State, s.ExitCode, s.StartedAt, s.FinishedAt))],
            web is null ? null : $"{web.Service}:{web.Port}", web is null ? null : SessionPaths.Prefix(id)));
    }

    private static async Task<Results<Ok<AppExportResponse>, ProblemHttpResult>> ExportAsync(long id, HttpContext context, JobStore jobs, ILauncher launcher)
    {
        var caller = ApiCaller.From(context.User);
        var details = await jobs.GetAsync(id, caller.Id, caller.ActsAsAdmin, context.RequestAborted);
        if (details is null || !details.Job.Spec.IsApp)
        {
            return NoSuchApp(id);
        }

        if (details.Backend is { IsSlurm: true })
        {
            return ApiProblems.Conflict(SlurmExport(id));
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

    /// <summary>One service's log, through <see cref="JobOutput"/> like every other log reader: the same rule for when
    /// there is one, and the service must be one the app's file names.</summary>
    private static async Task<Results<ServiceLog, ProblemHttpResult>> LogsAsync(long id, string service, HttpContext context, JobOutput output)
    {
        JobLog log;
        try
        {
            log = await output.OpenAsync(ApiCaller.From(context.User).AsRequester(), id, context.RequestAborted);
        }
        catch (LauncherException e)
        {
            return TypedResults.Problem($"The launcher could not read the output: {e.Message}", statusCode: StatusCodes.Status502BadGateway, title: "Launcher failed");
        }

        if (log.Job is not { } job || !JobOutput.HasService(job, service))
        {
            return ApiProblems.NotFound($"There is no app {id} with a service '{service}' that you can see.");
        }

        if (log.State == JobLogState.Gone)
        {
            return ApiProblems.Gone($"The output of app {id} is no longer kept: its pod was removed.");
        }

        // As for a job's own log: following waits for the app to start; otherwise one that has not (or never did) has
        // no lines.
        var follow = context.Request.Query["follow"] == "true";
        var spec = new LogsSpec { Follow = follow, Service = service };
        return new ServiceLog(log.State switch
        {
            JobLogState.Available => output.ReadAsync(log, spec, context.RequestAborted),
            JobLogState.NotYet when follow => AfterStartAsync(output, ApiCaller.From(context.User).AsRequester(), id, spec, context.RequestAborted),
            _ => AsyncEnumerable.Empty<LogLine>(),
        });
    }

    private static async IAsyncEnumerable<LogLine> AfterStartAsync(
        JobOutput output, CurrentUser reader, long id, LogsSpec spec, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var log = await output.WaitForLogAsync(reader, id, waiting: null, cancellationToken);
        if (log.State != JobLogState.Available)
        {
            yield break;
        }

        await foreach (var line in output.ReadAsync(log, spec, cancellationToken))
        {
            yield return line;
        }
    }

    /// <summary>Each line as it comes (stdout and stderr in order, as text); a launcher failure mid-way ends the text
    /// with a line that says so.</summary>
    internal sealed class ServiceLog(IAsyncEnumerable<LogLine> lines) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "text/plain; charset=utf-8";
            httpContext.Response.Headers["X-Content-Type-Options"] = "nosniff";
            // Answer at once: a follower may wait for the app to start, and its header timeout must not run out.
            await httpContext.Response.StartAsync(httpContext.RequestAborted);
            try
            {
                await foreach (var line in lines)
                {
                    await httpContext.Response.WriteAsync(line.Text + "\n", Encoding.UTF8, httpContext.RequestAborted);
                    await httpContext.Response.Body.FlushAsync(httpContext.RequestAborted);
                }
            }
            catch (LauncherException e)
            {
                await httpContext.Response.WriteAsync("[portal] the log could not be read: " + e.Message + "\n", Encoding.UTF8, httpContext.RequestAborted);
            }
        }
    }

    /// <summary>Why an app on a Slurm cluster has no export: its pod lives on a node, where the portal runs no podman.</summary>
    internal static string SlurmExport(long id) =>
        $"App {id} runs on a Slurm cluster: its pod lives on a node only while the job runs, and the portal exports pods of this host only. Its file is its description.";

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

    private static ProblemHttpResult NoSuchApp(long id) => ApiProblems.NotFound($"There is no app {id} that you can see.");
}
