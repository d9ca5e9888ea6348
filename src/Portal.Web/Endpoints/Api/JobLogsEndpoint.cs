using System.Globalization;
using Microsoft.AspNetCore.Http.Features;
using Portal.Api.Contracts;
using Portal.Core.Jobs;
using Portal.Data.Jobs;
using Portal.Jobs;
using Portal.Jobs.Slurm;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Security.ApiTokens;

namespace Portal.Web.Endpoints.Api;

/// <summary>
/// A job's output, read through the launcher as the job's owner: plain text, one line per line, or server-sent
/// events (<c>Accept: text/event-stream</c>) whose ids are line numbers. <c>offset=N</c> (or SSE's Last-Event-ID)
/// skips the first N lines, so a client that lost its connection resumes where it stopped. With <c>follow=true</c>
/// the response waits for a queued job to start and ends when the job's container ends.
/// </summary>
internal static partial class JobLogsEndpoint
{
    private const string EventStream = "text/event-stream";

    // How often a followed job that has not started yet is looked at again.
    private static readonly TimeSpan StartPoll = TimeSpan.FromSeconds(1);

    public static RouteGroupBuilder MapJobLogsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/jobs/{id:long}/logs", StreamAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("GetJobLogs").WithTags("Jobs").WithSummary("The job's output, optionally followed live")
            .WithDescription("Query: follow (true/false), offset (lines to skip). Accept: text/event-stream for server-sent events.")
            .Produces<string>(StatusCodes.Status200OK, "text/plain", EventStream)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status502BadGateway);
        return api;
    }

    private static async Task<IResult> StreamAsync(long id, HttpContext context, JobStore jobs, ILauncher launcher, ILoggerFactory loggers,
        IServiceProvider services)
    {
        var caller = ApiCaller.From(context.User);
        var query = new ApiQuery(context.Request.Query);
        var follow = query.Bool("follow");
        var offset = query.Int("offset", 0, 0, int.MaxValue);
        var sse = context.Request.Headers.Accept.ToString().Contains(EventStream, StringComparison.OrdinalIgnoreCase);
        if (sse && context.Request.Headers.TryGetValue("Last-Event-ID", out var lastId))
        {
            if (!int.TryParse(lastId, NumberStyles.None, CultureInfo.InvariantCulture, out offset))
            {
                return ApiProblems.Validation("Last-Event-ID", "Not a line number.");
            }
        }

        if (query.Errors.Count > 0)
        {
            return ApiProblems.Validation(query.Errors);
        }

        var details = await jobs.GetAsync(id, caller.Id, caller.ActsAsAdmin, context.RequestAborted);
        if (details is null)
        {
            return JobApiEndpoints.NoSuchJob(id);
        }

        var owner = details.Job.Owner;
        var key = JobKeys.Format(id);
        var job = details.Job;
        var writer = new LogWriter(context, sse);
        if (details.Backend is { IsSlurm: true })
        {
            return await StreamSlurmAsync(details, follow, offset, writer, caller, jobs, services.GetRequiredService<SlurmJobOutput>(), loggers, context);
        }

        if (job.StartedAt is null && (job.State.IsFinal() || !follow))
        {
            // Never started (yet): nothing was logged.
            await writer.StartAsync();
            return Results.Empty;
        }

        if (follow && job.State is JobState.Queued or JobState.Starting)
        {
            // Answer at once (a client's header timeout must not run out while the job waits), then wait for its
            // container to exist.
            await writer.StartAsync();
            if (!await WaitForContainerAsync(id, caller, jobs, launcher, owner, key, context.RequestAborted))
            {
                return Results.Empty;
            }
        }
        else
        {
            try
            {
                await launcher.InspectAsync(owner, key, context.RequestAborted);
            }
            catch (LauncherException e) when (e.Failure == LauncherFailure.OperationFailed)
            {
                if (!job.State.IsFinal())
                {
                    // Starting: podman has not created the container yet, so there is no output so far.
                    await writer.StartAsync();
                    return Results.Empty;
                }

                return ApiProblems.Gone($"The output of job {id} is no longer kept: its container was removed.");
            }
            catch (LauncherException e)
            {
                return LauncherUnavailable(e);
            }

            await writer.StartAsync();
        }

        var line = 0;
        try
        {
            await foreach (var text in launcher.StreamLogsAsync(owner, key, new LogsSpec { Follow = follow }, context.RequestAborted))
            {
                if (++line > offset)
                {
                    await writer.WriteLineAsync(line, text);
                }
            }
        }
        catch (LauncherException e)
        {
            // The status line has gone out: break the chunked body off, so the client sees an incomplete
            // transfer rather than a clean, silently short log.
            LogStreamFailed(loggers.CreateLogger(typeof(JobLogsEndpoint)), id, e.Message);
            context.Abort();
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away (for instance `portal logs -f` and Ctrl-C); the launcher was ended with it.
        }

        return Results.Empty;
    }

    /// <summary>A Slurm job's output file, once Slurm has started the job (followed: waits for that, and ends when the
    /// job does).</summary>
    private static async Task<IResult> StreamSlurmAsync(JobDetails details, bool follow, int offset, LogWriter writer, ApiCaller caller,
        JobStore jobs, SlurmJobOutput output, ILoggerFactory loggers, HttpContext context)
    {
        var job = details.Job;
        await writer.StartAsync();
        if (job.StartedAt is null && (job.State.IsFinal() || !follow))
        {
            return Results.Empty;
        }

        while (details.Job.StartedAt is null)
        {
            // Pending in Slurm: the answer has begun, and the output follows once the job runs.
            await Task.Delay(StartPoll, context.RequestAborted);
            if (await jobs.GetAsync(job.Id, caller.Id, caller.ActsAsAdmin, context.RequestAborted) is not { } again
                || (again.Job.State.IsFinal() && again.Job.StartedAt is null))
            {
                return Results.Empty;
            }

            details = again;
        }

        var line = 0;
        try
        {
            await foreach (var text in output.StreamAsync(details, follow, context.RequestAborted))
            {
                if (++line > offset)
                {
                    await writer.WriteLineAsync(line, text);
                }
            }
        }
        catch (LauncherException e)
        {
            LogStreamFailed(loggers.CreateLogger(typeof(JobLogsEndpoint)), job.Id, e.Message);
            context.Abort();
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }

        return Results.Empty;
    }

    /// <summary>Waits until the queued or starting job has a container (true) or ends without one (false).</summary>
    private static async Task<bool> WaitForContainerAsync(
        long id, ApiCaller caller, JobStore jobs, ILauncher launcher, string owner, string key, CancellationToken cancellationToken)
    {
        while (true)
        {
            var details = await jobs.GetAsync(id, caller.Id, caller.ActsAsAdmin, cancellationToken);
            if (details is null || (details.Job.State.IsFinal() && details.Job.StartedAt is null))
            {
                return false;
            }

            if (details.Job.StartedAt is not null)
            {
                try
                {
                    await launcher.InspectAsync(owner, key, cancellationToken);
                    return true;
                }
                catch (LauncherException e) when (e.Failure == LauncherFailure.OperationFailed && !details.Job.State.IsFinal())
                {
                    // Starting: podman has not created the container yet.
                }
                catch (LauncherException)
                {
                    // Ended without a container, or the launcher fails: the answer has begun, so it just ends.
                    return false;
                }
            }

            await Task.Delay(StartPoll, cancellationToken);
        }
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult LauncherUnavailable(LauncherException e) => TypedResults.Problem(
        $"The launcher could not read the output: {e.Message}", statusCode: StatusCodes.Status502BadGateway, title: "Launcher failed");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Streaming the output of job {JobId} failed: {Problem}")]
    private static partial void LogStreamFailed(ILogger logger, long jobId, string problem);

    /// <summary>Writes lines as plain text or as server-sent events, each flushed at once.</summary>
    private sealed class LogWriter(HttpContext context, bool sse)
    {
        public async Task StartAsync()
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = sse ? EventStream : "text/plain; charset=utf-8";
            response.Headers.CacheControl = "no-cache";
            // Proxies such as nginx would otherwise hold lines back.
            response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            await response.StartAsync(context.RequestAborted);
        }

        public async Task WriteLineAsync(int number, string text)
        {
            var payload = sse
                ? $"id: {number.ToString(CultureInfo.InvariantCulture)}\ndata: {text.Replace("\r", "", StringComparison.Ordinal)}\n\n"
                : text + "\n";
            await context.Response.WriteAsync(payload, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
    }
}
