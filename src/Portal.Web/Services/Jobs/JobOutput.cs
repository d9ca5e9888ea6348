using Portal.Core.Apps;
using Portal.Core.Jobs;
using Portal.Data.Jobs;
using Portal.Jobs.Slurm;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;
using Portal.Web.Services.Accounts;

namespace Portal.Web.Services.Jobs;

/// <summary>Where a job's output stands for someone who wants to read it.</summary>
public enum JobLogState
{
    /// <summary>No such job, or not one the reader may see (answered alike, so ids reveal nothing).</summary>
    NoSuchJob,

    /// <summary>The job has not started a container yet: no output so far, but there will be.</summary>
    NotYet,

    /// <summary>The job ended without ever running a container (cancelled in the queue, failed to launch).</summary>
    Never,

    /// <summary>The job ran, but its container is gone (removed after the keep time, or vanished), and its output
    /// with it.</summary>
    Gone,

    /// <summary>The output can be read.</summary>
    Available,
}

/// <summary>A job as seen by a log reader: the state of its output and the job itself (null for
/// <see cref="JobLogState.NoSuchJob"/>) and what its backend last said of it (a Slurm job's id).</summary>
public sealed record JobLog(JobLogState State, Job? Job, JobBackendFacts? Backend = null);

/// <summary>
/// A job's output for the three readers (the job page's live view, the download, the API): who may read it, when
/// there is one, and the lines, read by the launcher as the job's owner from podman's log of the job's container
/// (or, for a job that ran on Slurm, from its output file: <see cref="SlurmJobOutput"/>).
/// The rule for when a log exists is <see cref="HasLog"/>; everything else follows from it.
/// </summary>
internal sealed class JobOutput(JobStore jobs, ILauncher launcher, SlurmJobOutput slurmOutput, TimeProvider timeProvider)
{
    /// <summary>How often a reader waiting for a job to start looks again.</summary>
    public static readonly TimeSpan StartPoll = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The output lives in the job's container, so a job has a log once it has had a container: from the moment the
    /// launcher reported it (the job then records the container and is Running) until the container is removed.
    /// A job still Starting has none yet; one that ended without has none at all. A Slurm job records its Slurm id in
    /// the same place once Slurm runs it, and its output file is kept.
    /// </summary>
    public static bool HasLog(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.ContainerId is not null;
    }

    /// <summary>Where <paramref name="jobId"/>'s output stands for <paramref name="reader"/>; for a job that has a
    /// log, podman is asked whether its container still exists.</summary>
    /// <exception cref="LauncherException">The launcher could not answer (not "no such container").</exception>
    public async Task<JobLog> OpenAsync(CurrentUser reader, long jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var details = await jobs.GetAsync(jobId, reader.Id, reader.IsAdmin, cancellationToken);
        if (details is null)
        {
            return new JobLog(JobLogState.NoSuchJob, null);
        }

        var job = details.Job;
        var backend = details.Backend;
        if (!HasLog(job))
        {
            return new JobLog(job.State.IsFinal() ? JobLogState.Never : JobLogState.NotYet, job, backend);
        }

        // A Slurm job's output file stays in its owner's home: nothing removes it.
        return backend is { IsSlurm: true } || await ContainerExistsAsync(job, cancellationToken)
            ? new JobLog(JobLogState.Available, job, backend)
            : new JobLog(JobLogState.Gone, job, backend);
    }

    /// <summary>The job's container, or for an app its pod (each service's log lives in its own container).</summary>
    private async Task<bool> ContainerExistsAsync(Job job, CancellationToken cancellationToken)
    {
        try
        {
            if (job.Spec.IsApp)
            {
                return (await launcher.AppInspectAsync(job.Owner, JobKeys.Format(job.Id), cancellationToken)).Count > 0;
            }

            await launcher.InspectAsync(job.Owner, JobKeys.Format(job.Id), cancellationToken);
            return true;
        }
        catch (LauncherException e) when (e.Failure == LauncherFailure.OperationFailed)
        {
            // podman inspect ran as the owner and found no such container (or pod).
            return false;
        }
    }

    /// <summary>An app's services' states wherever it runs: podman's on this host (none once its pod is removed); on a
    /// Slurm cluster, what its batch script wrote of them (<see cref="SlurmAppStates"/>), while it runs. Empty when the
    /// launcher cannot answer: the page shows the states it can.</summary>
    public async Task<IReadOnlyList<ContainerState>> ServiceStatesAsync(JobDetails details, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(details);
        var job = details.Job;
        try
        {
            if (details.Backend is { IsSlurm: true })
            {
                var services = AppFileParser.Parse(job.Spec.AppFile ?? "").Spec?.Services.Select(s => s.Name).ToList() ?? [];
                return await slurmOutput.ServiceStatesAsync(job, details.Backend, services, cancellationToken);
            }

            return job.ContainerId is null ? [] : await launcher.AppInspectAsync(job.Owner, JobKeys.Format(job.Id), cancellationToken);
        }
        catch (LauncherException)
        {
            return [];
        }
    }

    /// <summary>Whether <paramref name="job"/> is an app with a service named <paramref name="service"/>: the services
    /// are read from the app's own file, so a reader cannot ask the launcher for a name the app does not have.</summary>
    public static bool HasService(Job job, string service)
    {
        ArgumentNullException.ThrowIfNull(job);
        return job.Spec.IsApp && AppFileParser.Parse(job.Spec.AppFile!).Spec is { } app && app.Services.Any(s => s.Name == service);
    }

    /// <summary>Like <see cref="OpenAsync"/>, but while the job has no log yet, waits for it (looking again every
    /// <see cref="StartPoll"/>) and calls <paramref name="waiting"/> each time it finds none.</summary>
    public async Task<JobLog> WaitForLogAsync(CurrentUser reader, long jobId, Func<Task>? waiting, CancellationToken cancellationToken)
    {
        while (true)
        {
            var log = await OpenAsync(reader, jobId, cancellationToken);
            if (log.State != JobLogState.NotYet)
            {
                return log;
            }

            if (waiting is not null)
            {
                await waiting();
            }

            await Task.Delay(StartPoll, timeProvider, cancellationToken);
        }
    }

    /// <summary>The output of a job <see cref="OpenAsync"/> found <see cref="JobLogState.Available"/>, line by line,
    /// stdout and stderr in order, each line with its stream and time; with <see cref="LogsSpec.Follow"/> until the job
    /// ends or the token is cancelled (which ends the launcher). For an app, <see cref="LogsSpec.Service"/> names the
    /// service (see <see cref="HasService"/>). A Slurm job's output file (and each service's of an app on Slurm) holds
    /// both streams as one, without times: its lines all count as stdout.</summary>
    public IAsyncEnumerable<LogLine> ReadAsync(JobLog log, LogsSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(spec);
        var job = log.Job ?? throw new ArgumentException("A log that names no job has no lines.", nameof(log));
        return log.Backend is { IsSlurm: true }
            ? PlainAsync(slurmOutput.StreamAsync(job, log.Backend, spec.Follow, cancellationToken, spec.Tail, spec.Service))
            : launcher.StreamLogsAsync(job.Owner, JobKeys.Format(job.Id), spec, cancellationToken);
    }

    private static async IAsyncEnumerable<LogLine> PlainAsync(IAsyncEnumerable<string> lines)
    {
        await foreach (var line in lines)
        {
            yield return LogLine.Plain(line);
        }
    }
}
