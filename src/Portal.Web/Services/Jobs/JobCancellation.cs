using System.Globalization;
using Portal.Data.Jobs;
using Portal.Jobs;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;

namespace Portal.Web.Services.Jobs;

/// <summary>
/// Cancelling a job on someone's behalf: authorizes (an owner their own jobs, an administrator any), then lets the
/// <see cref="JobRunner"/> withdraw or stop it on its loop as the job's owner, and audits the outcome. Someone else's
/// job is <see cref="JobChangeStatus.NotFound"/>, exactly like a job that does not exist.
/// </summary>
internal sealed class JobCancellation(JobStore jobs, JobRunner runner, AuditLog audit)
{
    public async Task<JobChangeResult> CancelAsync(CurrentUser requester, long jobId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requester);
        var details = await jobs.GetAsync(jobId, requester.Id, requester.IsAdmin, cancellationToken);
        var target = $"job {jobId.ToString(CultureInfo.InvariantCulture)}";
        if (details is null)
        {
            // Audited too: someone trying job ids that are not theirs is worth seeing.
            await audit.WriteAsync(AuditActions.JobCancelled, requester.Actor, false, target, "no such job for this user", cancellationToken);
            return new JobChangeResult(JobChangeStatus.NotFound, $"There is no job {jobId} that you can see.");
        }

        var result = await runner.CancelAsync(jobId, requester.Name, cancellationToken);
        await audit.WriteAsync(AuditActions.JobCancelled, requester.Actor, result.Applied,
            $"{target} of {details.Job.Owner}", result.Applied ? $"was {details.Job.State}" : result.Message, cancellationToken);
        return result;
    }
}
