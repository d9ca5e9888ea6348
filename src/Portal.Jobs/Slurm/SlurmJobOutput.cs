using System.Globalization;
using System.Runtime.CompilerServices;
using Portal.Core.Jobs;
using Portal.Data.Jobs;
using Portal.Launcher.Client;
using Portal.Launcher.Protocol;

namespace Portal.Jobs.Slurm;

/// <summary>
/// The output of a Slurm job: its output file (the container writes straight into it, on whichever node it ran),
/// read through the launcher as the job's owner. A followed stream ends shortly after the job does: the file itself
/// never says it is complete, so the portal's own record of the job's end closes it.
/// </summary>
public sealed class SlurmJobOutput(JobStore store, ISlurmLauncher launcher)
{
    /// <summary>How many of the job's output lines are read for its services' states: the script writes two per
    /// service, among podman's own complaints, if any.</summary>
    private const int StateLines = 2000;

    /// <summary>The services' states of a running app, from what its batch script wrote (<see cref="SlurmAppStates"/>);
    /// empty for one that is not running.</summary>
    /// <exception cref="LauncherException">The launcher could not read the file.</exception>
    public async Task<IReadOnlyList<ContainerState>> ServiceStatesAsync(Job job, JobBackendFacts? backend, IReadOnlyList<string> services,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (job.State != JobState.Running)
        {
            return [];
        }

        var lines = new List<string>();
        await foreach (var line in StreamAsync(job, backend, follow: false, cancellationToken, tail: StateLines))
        {
            lines.Add(line);
        }

        return SlurmAppStates.Parse(lines, JobKeys.Format(job.Id), job.Owner, services);
    }

    /// <summary>How often a followed job is looked at to see whether it ended.</summary>
    public static readonly TimeSpan EndPoll = TimeSpan.FromSeconds(1);

    /// <summary>After the job ended, how long the stream goes on for the last lines to arrive (tail looks every 0.5 s).</summary>
    public static readonly TimeSpan Drain = TimeSpan.FromSeconds(1.5);

    /// <summary>The job's output lines; with <paramref name="follow"/>, until the job has ended and its last lines are
    /// read. A job Slurm has not started yet has none.</summary>
    /// <exception cref="LauncherException">The launcher could not read the file.</exception>
    /// <param name="job">The job.</param>
    /// <param name="backend">What the job's backend last said of it (Slurm's job id).</param>
    /// <param name="follow">Keep reading until the job ends.</param>
    /// <param name="cancellationToken">Ends the stream (and the launcher).</param>
    /// <param name="tail">Only the last lines.</param>
    /// <param name="service">For an app: the service whose output to read (its own file); null for the job's own
    /// output (for an app, what its batch script said of the services).</param>
    public async IAsyncEnumerable<string> StreamAsync(Job job, JobBackendFacts? backend, bool follow, [EnumeratorCancellation] CancellationToken cancellationToken,
        int? tail = null, string? service = null)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (!long.TryParse(backend?.JobId, NumberStyles.None, CultureInfo.InvariantCulture, out var slurmId))
        {
            yield break;
        }

        using var end = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watching = follow && !job.State.IsFinal() ? EndWhenJobEndsAsync(job.Id, end, end.Token) : Task.CompletedTask;
        if (follow && job.State.IsFinal())
        {
            end.CancelAfter(Drain);
        }

        var lines = launcher.StreamLogAsync(job.Owner, JobKeys.Format(job.Id), slurmId, new LogsSpec { Follow = follow, Tail = tail, Service = service }, end.Token)
            .GetAsyncEnumerator(end.Token);
        try
        {
            while (true)
            {
                try
                {
                    if (!await lines.MoveNextAsync())
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (end.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    // The job ended and its last lines are read.
                    break;
                }

                yield return lines.Current;
            }
        }
        finally
        {
            await lines.DisposeAsync();
            await end.CancelAsync();
            await watching;
        }
    }

    private async Task EndWhenJobEndsAsync(long jobId, CancellationTokenSource end, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                await Task.Delay(EndPoll, cancellationToken);
                var details = await store.GetAsync(jobId, Guid.Empty, isAdmin: true, cancellationToken);
                if (details is null || details.Job.State.IsFinal())
                {
                    end.CancelAfter(Drain);
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The stream ended first.
        }
    }
}
