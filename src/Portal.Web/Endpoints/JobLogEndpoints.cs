using System.Text;
using Portal.Core.Jobs;
using Portal.Data.Jobs;
using Portal.Jobs;
using Portal.Jobs.Slurm;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Services.Accounts;

namespace Portal.Web.Endpoints;

/// <summary>A job's whole log as a download, streamed from podman through the launcher as the job's owner.</summary>
internal static partial class JobLogEndpoints
{
    public static IEndpointRouteBuilder MapJobLogEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/jobs/{id:long}/log", DownloadAsync).RequireAuthorization();
        return endpoints;
    }

    private static async Task<IResult> DownloadAsync(
        long id, HttpContext context, JobStore jobs, ILauncher launcher, ILoggerFactory loggers, IServiceProvider services, CancellationToken cancellationToken)
    {
        var user = CurrentUser.From(context.User);
        // Someone else's job is answered exactly like a job that does not exist: ids reveal nothing.
        var details = await jobs.GetAsync(id, user.Id, user.IsAdmin, cancellationToken);
        if (details is null)
        {
            return Results.NotFound();
        }

        var job = details.Job;
        if (job.ContainerId is null)
        {
            // The log lives in the container, which exists from Running on.
            return Results.Text(
                job.State.IsFinal() ? $"Job {id} never ran, so it has no log." : $"Job {id} has not started, so it has no log yet.",
                "text/plain; charset=utf-8", statusCode: StatusCodes.Status409Conflict);
        }

        // Read the first line before answering, so that a launcher failure (container removed, podman broken) is a
        // clear error status rather than a truncated download.
        var lines = (details.Backend is { IsSlurm: true }
                ? services.GetRequiredService<SlurmJobOutput>().StreamAsync(details, follow: false, cancellationToken)
                : launcher.StreamLogsAsync(job.Owner, JobKeys.Format(id), new LogsSpec { Follow = false }, cancellationToken))
            .GetAsyncEnumerator(cancellationToken);
        bool any;
        try
        {
            any = await lines.MoveNextAsync();
        }
        catch (LauncherException e)
        {
            await lines.DisposeAsync();
            LogReadFailed(loggers.CreateLogger(typeof(JobLogEndpoints)), id, job.Owner, e.Message);
            return Results.Text(
                job.State.IsFinal()
                    ? $"The log of job {id} could not be read; its container may have been removed: {e.Message}"
                    : $"The log of job {id} could not be read: {e.Message}",
                "text/plain; charset=utf-8", statusCode: StatusCodes.Status502BadGateway);
        }

        return new LogDownload(lines, any, $"job-{JobKeys.Format(id)}.log");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The log of job {JobId} of {Owner} could not be read: {Problem}")]
    private static partial void LogReadFailed(ILogger logger, long jobId, string owner, string problem);

    /// <summary>Writes the lines as they come (no buffering of the whole log), then ends the launcher.</summary>
    private sealed class LogDownload(IAsyncEnumerator<string> lines, bool hasFirst, string fileName) : IResult
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
                await response.WriteAsync(lines.Current, Encoding.UTF8, httpContext.RequestAborted);
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
