using System.Globalization;
using Portal.Core.Sessions;
using Portal.Data.Entities.Jobs;
using Portal.Data.Jobs;
using Portal.Data.Quotas;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;

namespace Portal.Web.Services.Sessions.Idle;

/// <summary>The outcome of a keep: applied (with until when), or why not.</summary>
public sealed record SessionKeepResult(bool Applied, bool NotFound, string Message, DateTimeOffset? Until = null);

/// <summary>
/// The owner's "keep": a reason, recorded on the session and in the audit log, that exempts it from idle reclaim for
/// the policy's <see cref="SessionIdlePolicy.KeepLimit"/> (a new keep replaces the old one; when it runs out, a whole
/// window and grace period follow before any stop). Only the owner keeps a session; anyone else's answer is "no such
/// session", as for jobs.
/// </summary>
public sealed class SessionKeeping(JobStore jobs, QuotaStore quotas, ISessionIdleSource idle, AuditLog audit, TimeProvider clock)
{
    public async Task<SessionKeepResult> KeepAsync(CurrentUser requester, long jobId, string? reason, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(requester);
        string target = "job " + jobId.ToString(CultureInfo.InvariantCulture);
        reason = reason?.Trim();
        if (string.IsNullOrEmpty(reason))
        {
            return new SessionKeepResult(false, false, "Say why the session should stay (e.g. \"training until tomorrow\").");
        }

        if (reason.Length > JobRecord.MaxKeepReasonLength)
        {
            return new SessionKeepResult(false, false, $"Keep the reason to {JobRecord.MaxKeepReasonLength} characters.");
        }

        SessionIdlePolicy? policy = (await quotas.ResolveIdleAsync([requester.Id], cancellationToken)).GetValueOrDefault(requester.Id);
        DateTimeOffset until = clock.GetUtcNow() + (policy?.KeepLimit ?? SessionIdlePolicy.DefaultKeepLimit);
        if (!await jobs.SetIdleKeepAsync(jobId, requester.Id, reason, until, cancellationToken))
        {
            await audit.WriteAsync(AuditActions.SessionKept, requester.Actor, false, target, "no running session of this user", cancellationToken);
            return new SessionKeepResult(false, true, $"There is no running session {jobId} of yours.");
        }

        await audit.WriteAsync(AuditActions.SessionKept, requester.Actor, true, target,
            $"until {until.ToString("u", CultureInfo.InvariantCulture)}: {reason}", cancellationToken);
        idle.Wake();
        return new SessionKeepResult(true, false,
            $"Kept until {until.ToString("u", CultureInfo.InvariantCulture)}" + (policy is null ? " (no idle policy applies to you now)." : "."), until);
    }
}
