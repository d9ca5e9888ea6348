using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Jobs;

namespace Portal.Web.Endpoints;

/// <summary>A job's whole log as a download, streamed from podman through the launcher as the job's owner
/// (<see cref="JobOutput"/>).</summary>
internal static partial class JobLogEndpoints
{
    public static IEndpointRouteBuilder MapJobLogEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/jobs/{id:long}/log", DownloadAsync).RequireAuthorization();
        return endpoints;
    }

    private static async Task<Results<LogDownload, NotFound, ContentHttpResult>> DownloadAsync(
        long id, HttpContext context, JobOutput output, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var user = CurrentUser.From(context.User);
        JobLog log;
        try
        {
            log = await output.OpenAsync(user, id, cancellationToken);
        }
        catch (LauncherException e)
        {
            return LauncherFailed(loggers, id, e);
        }

        // Someone else's job is answered exactly like a job that does not exist: ids reveal nothing.
        if (log.State == JobLogState.NoSuchJob)
        {
            return TypedResults.NotFound();
        }

        var job = log.Job!;
        switch (log.State)
        {
            case JobLogState.NotYet:
                return Text($"Job {id} has not started, so it has no log yet.", StatusCodes.Status409Conflict);
            case JobLogState.Never:
                return Text($"Job {id} never ran, so it has no log.", StatusCodes.Status409Conflict);
            case JobLogState.Gone:
                return Text($"The log of job {id} is no longer kept: its container was removed.", StatusCodes.Status410Gone);
        }

        // Read the first line before answering, so that a launcher failure is a clear error status rather than a
        // truncated download.
        var lines = output.ReadAsync(log, new LogsSpec { Follow = false }, cancellationToken).GetAsyncEnumerator(cancellationToken);
        bool any;
        try
        {
            any = await lines.MoveNextAsync();
        }
        catch (LauncherException e)
        {
            await lines.DisposeAsync();
            return LauncherFailed(loggers, id, e);
        }

        return new LogDownload(lines, any, $"job-{JobKeys.Format(id)}.log");
    }

    private static ContentHttpResult Text(string message, int status) => TypedResults.Text(message, "text/plain; charset=utf-8", statusCode: status);

    private static ContentHttpResult LauncherFailed(ILoggerFactory loggers, long id, LauncherException e)
    {
        LogReadFailed(loggers.CreateLogger(typeof(JobLogEndpoints)), id, e.Message);
        return Text($"The log of job {id} could not be read: {e.Message}", StatusCodes.Status502BadGateway);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The log of job {JobId} could not be read: {Problem}")]
    private static partial void LogReadFailed(ILogger logger, long jobId, string problem);

    /// <summary>Writes the lines as they come (no buffering of the whole log), then ends the launcher. Plain text: stdout
    /// and stderr interleaved in order, as a terminal would have shown them.</summary>
    internal sealed class LogDownload(IAsyncEnumerator<LogLine> lines, bool hasFirst, string fileName) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            await using var _ = lines;
            var response = httpContext.Response;
            response.ContentType = "text/plain; charset=utf-8";
            response.Headers.ContentDisposition = $"attachment; filename=\"{fileName}\"";
            response.Headers["X-Content-Type-Options"] = "nosniff";
            var more = hasFirst;
            while (more)
            {
                await response.WriteAsync(lines.Current.Text, Encoding.UTF8, httpContext.RequestAborted);
                await response.WriteAsync("\n", Encoding.UTF8, httpContext.RequestAborted);
                try
                {
                    more = await lines.MoveNextAsync();
                }
                catch (LauncherException)
                {
                    // Headers are sent: all that is left is to end the file early. The launcher has ended.
                    await response.WriteAsync("\n[the rest of the log could not be read]\n", Encoding.UTF8, httpContext.RequestAborted);
                    return;
                }
            }
        }
    }
}
