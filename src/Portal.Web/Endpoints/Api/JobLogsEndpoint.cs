using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Api.Contracts;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Security.ApiTokens;
using Portal.Web.Services.Jobs;

namespace Portal.Web.Endpoints.Api;

/// <summary>
/// A job's output, read through the launcher as the job's owner: stdout and stderr in order, as plain text, one line per
/// line, or server-sent events (<c>Accept: text/event-stream</c>) whose ids are line numbers. <c>offset=N</c> (or SSE's
/// Last-Event-ID) skips the first N lines, so a client that lost its connection resumes where it stopped. With
/// <c>follow=true</c> the response waits for a queued job to start and ends when the job's container ends.
/// <c>timestamps=true</c> puts each line's time before it; <c>format=json</c> makes each line (or each event's data) a
/// JSON object that says its stream (<see cref="JobLogLineResponse"/>), NDJSON as plain text.
/// </summary>
internal static partial class JobLogsEndpoint
{
    private const string EventStream = "text/event-stream";
    private const string NdJson = "application/x-ndjson";

    public static RouteGroupBuilder MapJobLogsApi(this RouteGroupBuilder api)
    {
        api.MapGet("/jobs/{id:long}/logs", StreamAsync).RequireScope(ApiScopes.JobsRead)
            .WithName("GetJobLogs").WithTags("Jobs").WithSummary("The job's output, optionally followed live")
            .WithDescription("Query: follow (true/false), offset (lines to skip), timestamps (true/false: each line's time before it), "
                + "format (text, or json: one JobLogLineResponse object per line, with its stream). Accept: text/event-stream for server-sent events.")
            .Produces<string>(StatusCodes.Status200OK, "text/plain", NdJson, EventStream)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status410Gone)
            .ProducesProblem(StatusCodes.Status502BadGateway);
        return api;
    }

    // The body is written here as it comes (plain text or server-sent events), so success is an empty result whose 200
    // is declared above with its content types.
    private static async Task<Results<EmptyHttpResult, ValidationProblem, ProblemHttpResult>> StreamAsync(
        long id, HttpContext context, JobOutput output, ILoggerFactory loggers)
    {
        var caller = ApiCaller.From(context.User);
        var query = new ApiQuery(context.Request.Query);
        var follow = query.Bool("follow");
        var offset = query.Int("offset", 0, 0, int.MaxValue);
        var timestamps = query.Bool("timestamps");
        var json = query.Choice("format", "text", "json") == "json";
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

        var reader = caller.AsRequester();
        JobLog log;
        try
        {
            log = await output.OpenAsync(reader, id, context.RequestAborted);
        }
        catch (LauncherException e)
        {
            return LauncherUnavailable(e);
        }

        var writer = new LogWriter(context, sse, json, timestamps);
        switch (log.State)
        {
            case JobLogState.NoSuchJob:
                return JobApiEndpoints.NoSuchJob(id);
            case JobLogState.Gone:
                return ApiProblems.Gone($"The output of job {id} is no longer kept: its container was removed.");
            case JobLogState.Never:
            case JobLogState.NotYet when !follow:
                // Nothing was logged (yet).
                await writer.StartAsync();
                return TypedResults.Empty;
            case JobLogState.NotYet:
                // Answer at once (a client's header timeout must not run out while the job waits), then wait for its
                // output to exist.
                await writer.StartAsync();
                try
                {
                    log = await output.WaitForLogAsync(reader, id, waiting: null, context.RequestAborted);
                }
                catch (Exception e) when (e is LauncherException || (e is OperationCanceledException && context.RequestAborted.IsCancellationRequested))
                {
                    // The answer has begun: a launcher failure or a client that left just ends it.
                    return TypedResults.Empty;
                }

                if (log.State != JobLogState.Available)
                {
                    // Ended without a log, or its container is already gone.
                    return TypedResults.Empty;
                }

                break;
            default:
                await writer.StartAsync();
                break;
        }

        var line = 0;
        try
        {
            await foreach (var text in output.ReadAsync(log, new LogsSpec { Follow = follow }, context.RequestAborted))
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

        return TypedResults.Empty;
    }

    private static ProblemHttpResult LauncherUnavailable(LauncherException e) => TypedResults.Problem(
        $"The launcher could not read the output: {e.Message}", statusCode: StatusCodes.Status502BadGateway, title: "Launcher failed");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Streaming the output of job {JobId} failed: {Problem}")]
    private static partial void LogStreamFailed(ILogger logger, long jobId, string problem);

    /// <summary>Writes lines as plain text (or NDJSON) or as server-sent events, each flushed at once.</summary>
    private sealed class LogWriter(HttpContext context, bool sse, bool json, bool timestamps)
    {
        public async Task StartAsync()
        {
            var response = context.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = sse ? EventStream : json ? NdJson + "; charset=utf-8" : "text/plain; charset=utf-8";
            response.Headers.CacheControl = "no-cache";
            // Proxies such as nginx would otherwise hold lines back.
            response.Headers["X-Accel-Buffering"] = "no";
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            await response.StartAsync(context.RequestAborted);
        }

        public async Task WriteLineAsync(int number, LogLine line)
        {
            // JSON escapes every control character, a line break included: one object stays one line (and one data field).
            var text = json
                ? JsonSerializer.Serialize(new JobLogLineResponse(number, line.Stream == OutputChannel.Stderr ? JobLogStreams.Stderr : JobLogStreams.Stdout,
                    line.Time, line.Text), ApiJsonContext.Default.JobLogLineResponse)
                : timestamps && line.Time is not null ? line.Time + " " + line.Text : line.Text;
            var payload = sse
                ? $"id: {number.ToString(CultureInfo.InvariantCulture)}\ndata: {text.Replace("\r", "", StringComparison.Ordinal)}\n\n"
                : text + "\n";
            await context.Response.WriteAsync(payload, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
    }
}
