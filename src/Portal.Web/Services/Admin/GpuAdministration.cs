using Portal.Core.Scheduling;
using Portal.Data.Jobs;
using Portal.Jobs;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;

namespace Portal.Web.Services.Admin;

/// <summary>
/// Draining and returning GPUs to service. Pages are authorized for admins only; every call here writes an audit row
/// (also when refused) and a change wakes the scheduler, so queued jobs see the new set of usable GPUs at once.
/// </summary>
internal sealed class GpuAdministration(GpuStore gpus, JobRunner runner, AuditLog audit)
{
    /// <summary>Longest drain reason the inventory keeps.</summary>
    public const int MaxReasonLength = 1024;

    public async Task<AdminResult> SetDrainedAsync(
        AuditActor admin, string uuid, bool drain, string? reason, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(uuid);
        var action = drain ? AuditActions.GpuDrained : AuditActions.GpuUndrained;
        reason = string.IsNullOrWhiteSpace(reason) ? null : reason.Trim();
        if (reason is { Length: > MaxReasonLength })
        {
            return await RefuseAsync(action, admin, uuid, $"The reason is {reason.Length} characters; keep it under {MaxReasonLength}.", cancellationToken);
        }

        switch (await gpus.SetGpuDrainedAsync(uuid, drain, admin.Name, drain ? reason : null, cancellationToken))
        {
            case GpuDrainOutcome.NoSuchGpu:
                return await RefuseAsync(action, admin, uuid, $"There is no GPU {uuid}.", cancellationToken);
            case GpuDrainOutcome.NotInLauncherPolicy:
                return await RefuseAsync(action, admin, uuid, NotInPolicy(uuid), cancellationToken);
        }

        await audit.WriteAsync(action, admin, true, uuid, reason, cancellationToken);
        runner.RequestPass(SchedulingCause.GpuDrainChanged);
        return new AdminResult(true, drain
            ? $"GPU {uuid} is drained: running jobs finish, no new job is placed on it."
            : $"GPU {uuid} is back in service.");
    }

    /// <summary>Why a GPU the launcher policy does not name stays drained.</summary>
    public static string NotInPolicy(string uuid) =>
        $"GPU {uuid} is not named by the launcher policy, so the launcher would refuse a job placed on it. Add it to the "
        + "policy's gpus; it returns to service on its own within a minute.";

    private async Task<AdminResult> RefuseAsync(string action, AuditActor admin, string uuid, string message, CancellationToken cancellationToken)
    {
        await audit.WriteAsync(action, admin, false, uuid, message, cancellationToken);
        return AdminResult.Fail(message);
    }
}
