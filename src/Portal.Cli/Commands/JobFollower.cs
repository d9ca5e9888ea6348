using Portal.Api.Contracts;
using Portal.Cli.Client;
using Portal.Cli.Output;

namespace Portal.Cli.Commands;

/// <summary>
/// Follows a job's output to its end and turns its final state into the exit code. A dropped connection resumes
/// where it stopped (the API's line offset); Ctrl-C detaches and leaves the job running.
/// </summary>
internal static class JobFollower
{
    private const int MaxReconnects = 5;

    // After the output ends, the job's final state follows within the portal's watch interval.
    private static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(15);

    public static async Task<int> FollowAsync(PortalApi api, long id, CliOutput output, CancellationToken cancellationToken, bool timestamps = false)
    {
        var lines = 0;
        try
        {
            while (true)
            {
                lines = await StreamAsync(api, id, lines, output, timestamps, cancellationToken);
                var settleUntil = DateTimeOffset.UtcNow + SettleTime;
                JobResponse job;
                while (!(job = await api.GetJobAsync(id, cancellationToken)).IsFinal
                    && job.State != JobStates.Queued && DateTimeOffset.UtcNow < settleUntil)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
                }

                if (job.IsFinal)
                {
                    output.Err.WriteLine($"Job {id} {Describe(job)}.");
                    return ExitCodeOf(job);
                }

                // Still going (the output stream ended early): pick it up again from the last line.
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            output.Out.Flush();
            output.Err.WriteLine($"Detached from job {id}; it keeps running. Follow it again with: portal logs -f {id}");
            return ExitCodes.Detached;
        }
    }

    /// <summary>The exit code that stands for a finished job.</summary>
    public static int ExitCodeOf(JobResponse job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.State switch
        {
            JobStates.Succeeded => ExitCodes.Ok,
            JobStates.Failed when job.ExitCode is { } code and > 0 and < 256 => code,
            JobStates.TimedOut => ExitCodes.JobTimedOut,
            JobStates.Cancelled => ExitCodes.JobCancelled,
            _ => ExitCodes.JobFailedToRun,
        };
    }

    private static string Describe(JobResponse job) => job.State switch
    {
        JobStates.Failed when job.ExitCode is { } code => $"failed with exit code {code}",
        _ => job.State switch
        {
            JobStates.Succeeded => "succeeded",
            JobStates.TimedOut => "reached its walltime and was stopped",
            JobStates.Cancelled => "was cancelled",
            JobStates.Lost => "was lost",
            _ => "failed: " + (job.History.Count > 0 ? job.History[^1].Detail : null),
        },
    };

    private static async Task<int> StreamAsync(PortalApi api, long id, int offset, CliOutput output, bool timestamps, CancellationToken cancellationToken)
    {
        var lines = offset;
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await using var stream = await api.OpenLogsAsync(id, follow: true, lines, cancellationToken, timestamps);
                using var reader = new StreamReader(stream);
                while (await reader.ReadLineAsync(cancellationToken) is { } line)
                {
                    output.Out.WriteLine(line);
                    lines++;
                }

                output.Out.Flush();
                return lines;
            }
            catch (Exception e) when (attempt < MaxReconnects && !cancellationToken.IsCancellationRequested
                && (e is IOException || (e is PortalApiException p && p.Status is null)))
            {
                output.Out.Flush();
                output.Err.WriteLine($"portal: lost the connection ({e.Message}); resuming at line {lines + 1}.");
                await Task.Delay(TimeSpan.FromSeconds(1 << attempt), cancellationToken);
            }
        }
    }
}
