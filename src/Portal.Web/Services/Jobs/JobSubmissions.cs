using Microsoft.Extensions.Options;
using Portal.Core.Jobs;
using Portal.Core.Scheduling;
using Portal.Data.Jobs;
using Portal.Jobs;
using Portal.Launcher.Protocol;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.JobForms;
using Portal.Web.Services.Slurm;

namespace Portal.Web.Services.Jobs;

/// <summary>
/// The one way a job enters the queue, for the launch and session pages, the "New app" page and the API (and so the
/// CLI): the submitter's mount roots, the box's capacity, validation and queueing under the submitter's quota
/// (<see cref="JobStore.SubmitAsync"/>), then a scheduling pass, so the job can start at once. Sessions and apps are
/// jobs too (<see cref="JobSpec.Session"/>, <see cref="JobSpec.AppFile"/>) and come through here like any other. When
/// jobs go to Slurm the check is against the cluster's largest node instead of this host.
/// </summary>
internal sealed class JobSubmissions(
    JobStore jobs, MountRootResolver mountRoots, JobRunner runner, IOptions<JobRunnerOptions> options, ClusterCapacitySource cluster)
{
    /// <summary>Queues <paramref name="spec"/> for <paramref name="submitter"/>, or says what is wrong with it, field by
    /// field (named after <see cref="JobSpec"/>'s properties).</summary>
    /// <param name="submitter">Who submits.</param>
    /// <param name="spec">The job.</param>
    /// <param name="cancellationToken">Stops the work.</param>
    /// <param name="idempotencyKey">The submitter's key for this submission: the same key again answers with the job
    /// the first submission queued (<see cref="SubmitResult.Repeated"/>).</param>
    public async Task<SubmitResult> SubmitAsync(CurrentUser submitter, JobSpec spec, CancellationToken cancellationToken, string? idempotencyKey = null)
    {
        var submission = await SubmissionAsync(submitter, spec, cancellationToken) with { IdempotencyKey = idempotencyKey };
        var result = await jobs.SubmitAsync(submission, cancellationToken);
        if (result.Accepted && !result.Repeated)
        {
            runner.RequestPass(SchedulingCause.JobSubmitted);
        }

        return result;
    }

    /// <summary>What <see cref="SubmitAsync"/> would say about <paramref name="spec"/> now, without queuing it (the
    /// review step of "New app").</summary>
    public async Task<IReadOnlyList<FieldError>> CheckAsync(CurrentUser submitter, JobSpec spec, CancellationToken cancellationToken) =>
        await jobs.CheckAsync(await SubmissionAsync(submitter, spec, cancellationToken), cancellationToken);

    private async Task<JobSubmission> SubmissionAsync(CurrentUser submitter, JobSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(submitter);
        // Without a Linux account the store refuses the submission, with its own message.
        IReadOnlyList<MountRoot> roots = submitter.LinuxUserName is { } linuxUser
            ? await mountRoots.ForAsync(linuxUser, cancellationToken)
            : [];
        // On a Slurm cluster the job is checked against the cluster's nodes; this host's capacity is not the limit.
        var capacity = await cluster.CurrentAsync(cancellationToken);
        return new JobSubmission(submitter.Id, spec, submitter.IsAdmin, roots, capacity is null ? options.Value.HostCapacity() : null, capacity);
    }
}
