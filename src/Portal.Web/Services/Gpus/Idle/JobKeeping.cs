using System.Globalization;
using Portal.Core.Reclaim;
using Portal.Data.Entities.Jobs;
using Portal.Data.Jobs;
using Portal.Data.Quotas;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;

namespace Portal.Web.Services.Gpus.Idle;

/// <summary>The outcome of a job keep: applied (with until when), or why not.</summary>
public sealed record JobKeepResult(bool Applied, bool NotFound, string Message, DateTimeOffset? Until = null);

/// <summary>
/// The owner's "keep" of a batch job: a reason, recorded on the job and in the audit log, that pauses idle reclaim for
/// the policy's <see cref="IdlePolicy.KeepFor"/>. Once per job: a second keep is refused (when it runs out, a whole
/// window of idle readings and the grace period follow before any action). Only the owner keeps a job; anyone else's
/// answer is "no such job".
/// </summary>
public sealed class JobKeeping(JobStore jobs, QuotaStore quotas, IJobIdleSource idle, AuditLog audit, TimeProvider clock)
{
    /// <summary>A keep when no group sets one: the longest a policy may give.</summary>
    public static readonly TimeSpan FallbackKeep = TimeSpan.FromHours(8);

    public async Task<JobKeepResult> KeepAsync(CurrentUser requester, long jobId, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requester);
        string target = "job " + jobId.ToString(CultureInfo.InvariantCulture);
        reason = reason?.Trim();
        if (string.IsNullOrEmpty(reason))
        {
            return new JobKeepResult(false, false, "Say why the job should keep its GPUs (e.g. \"loading a dataset for an hour\").");
        }

        if (reason.Length > JobRecord.MaxKeepReasonLength)
        {
            return new JobKeepResult(false, false, $"Keep the reason to {JobRecord.MaxKeepReasonLength} characters.");
        }

        IdlePolicy? policy = (await quotas.ResolveJobIdleAsync([requester.Id], cancellationToken)).GetValueOrDefault(requester.Id);
        DateTimeOffset until = clock.GetUtcNow() + (policy?.KeepFor ?? FallbackKeep);
        switch (await jobs.KeepIdleJobAsync(jobId, requester.Id, reason, until, cancellationToken))
        {
            case JobKeepOutcome.NotFound:
                await audit.WriteAsync(AuditActions.JobKept, requester.Actor, false, target, "no running job of this user", cancellationToken);
                return new JobKeepResult(false, true, $"There is no running job {jobId} of yours.");
            case JobKeepOutcome.AlreadyKept:
                await audit.WriteAsync(AuditActions.JobKept, requester.Actor, false, target, "kept once already", cancellationToken);
                return new JobKeepResult(false, false, "This job was kept once already: a job can be kept only once.");
        }

        await audit.WriteAsync(AuditActions.JobKept, requester.Actor, true, target,
            $"until {until.ToString("u", CultureInfo.InvariantCulture)}: {reason}", cancellationToken);
        idle.Wake();
        return new JobKeepResult(true, false,
            $"Kept until {until.ToString("u", CultureInfo.InvariantCulture)}" + (policy is null ? " (no idle policy applies to you now)." : "."), until);
    }
}
