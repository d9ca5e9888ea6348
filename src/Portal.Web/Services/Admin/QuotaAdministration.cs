using System.Text.RegularExpressions;
using Portal.Core.Jobs;
using Portal.Core.Quotas;
using Portal.Core.Scheduling;
using Portal.Data.Accounts;
using Portal.Data.Quotas;
using Portal.Jobs;
using Portal.Web.Services.Audit;

namespace Portal.Web.Services.Admin;

/// <summary>The outcome of a quota change: a message for the page, and the field errors when the form was wrong.</summary>
public sealed record QuotaChangeResult(bool Succeeded, string Message, IReadOnlyList<FieldError> Errors)
{
    public static QuotaChangeResult Done(string message) => new(true, message, []);

    public static QuotaChangeResult Fail(string message, IReadOnlyList<FieldError>? errors = null) => new(false, message, errors ?? []);
}

/// <summary>
/// Changes to the quota layers (default, groups and their members, per-user overrides). Pages are authorized for
/// admins only; every call writes an audit row (also when refused), and every change wakes the scheduler: a raised
/// limit can start queued jobs at once, a lowered one changes their pending reasons.
/// </summary>
internal sealed partial class QuotaAdministration(
    QuotaStore quotas, UserStore users, JobRunner runner, AuditLog audit, Microsoft.Extensions.Options.IOptions<Gpus.GpuMonitorOptions> gpus)
{
    public async Task<QuotaChangeResult> SetDefaultAsync(AuditActor admin, QuotaForm form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        var (policy, errors) = form.ToPolicy(requireAll: true);
        if (policy is null)
        {
            return await RefuseAsync(AuditActions.QuotaDefaultChanged, admin, "default", "Fix the marked fields.", errors, cancellationToken);
        }

        await quotas.SetDefaultAsync(policy, cancellationToken);
        return await DoneAsync(AuditActions.QuotaDefaultChanged, admin, "default", QuotaForm.Describe(policy),
            "The default quota is saved.", cancellationToken);
    }

    public async Task<QuotaChangeResult> CreateGroupAsync(AuditActor admin, string? name, QuotaForm form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        var (policy, errors) = form.ToPolicy(requireAll: false);
        var nameError = GroupNameProblem(name);
        if (nameError is not null)
        {
            errors = [new FieldError("Name", nameError), .. errors];
        }

        if (policy is null || nameError is not null)
        {
            return await RefuseAsync(AuditActions.QuotaGroupCreated, admin, name, "Fix the marked fields.", errors, cancellationToken);
        }

        var trimmed = name!.Trim();
        if (await quotas.CreateGroupAsync(trimmed, policy, cancellationToken) is null)
        {
            return await RefuseAsync(AuditActions.QuotaGroupCreated, admin, trimmed, $"A group named {trimmed} exists already.",
                [new FieldError("Name", $"A group named {trimmed} exists already.")], cancellationToken);
        }

        return await DoneAsync(AuditActions.QuotaGroupCreated, admin, trimmed, QuotaForm.Describe(policy),
            $"Group {trimmed} is created. Add its members on its page.", cancellationToken);
    }

    public async Task<QuotaChangeResult> UpdateGroupAsync(AuditActor admin, int groupId, QuotaForm form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        var target = GroupTarget(groupId);
        var (policy, errors) = form.ToPolicy(requireAll: false);
        if (policy is null)
        {
            return await RefuseAsync(AuditActions.QuotaGroupChanged, admin, target, "Fix the marked fields.", errors, cancellationToken);
        }

        if (!await quotas.UpdateGroupAsync(groupId, policy, cancellationToken))
        {
            return await RefuseAsync(AuditActions.QuotaGroupChanged, admin, target, $"There is no quota group {groupId}.", [], cancellationToken);
        }

        return await DoneAsync(AuditActions.QuotaGroupChanged, admin, target, QuotaForm.Describe(policy),
            "The group's quota is saved.", cancellationToken);
    }

    /// <summary>Sets a group's idle reclaim for interactive sessions (an empty window turns it off).</summary>
    public async Task<QuotaChangeResult> SetGroupIdleAsync(AuditActor admin, int groupId, IdleForm form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        var target = GroupTarget(groupId);
        var (settings, errors) = form.ToSettings();
        if (settings is null)
        {
            return await RefuseAsync(AuditActions.QuotaGroupIdleChanged, admin, target, "Fix the marked fields.", errors, cancellationToken);
        }

        if (!await quotas.SetGroupIdleAsync(groupId, settings, cancellationToken))
        {
            return await RefuseAsync(AuditActions.QuotaGroupIdleChanged, admin, target, $"There is no quota group {groupId}.", [], cancellationToken);
        }

        return await DoneAsync(AuditActions.QuotaGroupIdleChanged, admin, target, IdleForm.Describe(settings),
            settings.Window is null ? "Idle sessions of this group are not reclaimed." : "The group's idle reclaim is saved.", cancellationToken);
    }

    /// <summary>Sets a group's idle reclaim of batch jobs (every field empty turns it off).</summary>
    public async Task<QuotaChangeResult> SetGroupJobIdleAsync(AuditActor admin, int groupId, JobIdleForm form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        var target = GroupTarget(groupId);
        var (policy, errors) = form.ToPolicy(gpus.Value.RollupPeriod);
        if (errors.Count > 0)
        {
            return await RefuseAsync(AuditActions.QuotaGroupJobIdleChanged, admin, target, "Fix the marked fields.", errors, cancellationToken);
        }

        if (!await quotas.SetGroupJobIdleAsync(groupId, policy, cancellationToken))
        {
            return await RefuseAsync(AuditActions.QuotaGroupJobIdleChanged, admin, target, $"There is no quota group {groupId}.", [], cancellationToken);
        }

        return await DoneAsync(AuditActions.QuotaGroupJobIdleChanged, admin, target, JobIdleForm.Describe(policy),
            policy is null ? "Idle jobs of this group are not reclaimed." : "The group's idle reclaim of jobs is saved.", cancellationToken);
    }

    public async Task<QuotaChangeResult> DeleteGroupAsync(AuditActor admin, int groupId, CancellationToken cancellationToken)
    {
        var target = GroupTarget(groupId);
        if (!await quotas.DeleteGroupAsync(groupId, cancellationToken))
        {
            return await RefuseAsync(AuditActions.QuotaGroupDeleted, admin, target, $"There is no quota group {groupId}.", [], cancellationToken);
        }

        return await DoneAsync(AuditActions.QuotaGroupDeleted, admin, target, null,
            "The group is deleted; its members are back on the default quota (and their own overrides).", cancellationToken);
    }

    public async Task<QuotaChangeResult> AddMemberAsync(AuditActor admin, int groupId, Guid userId, CancellationToken cancellationToken)
    {
        var target = $"{GroupTarget(groupId)} user {userId}";
        if (!await quotas.AddMemberAsync(groupId, userId, cancellationToken))
        {
            return await RefuseAsync(AuditActions.QuotaMemberAdded, admin, target, "That group or user does not exist.", [], cancellationToken);
        }

        return await DoneAsync(AuditActions.QuotaMemberAdded, admin, target, await UserNameAsync(userId, cancellationToken),
            $"{await UserNameAsync(userId, cancellationToken)} is in the group.", cancellationToken);
    }

    public async Task<QuotaChangeResult> RemoveMemberAsync(AuditActor admin, int groupId, Guid userId, CancellationToken cancellationToken)
    {
        var target = $"{GroupTarget(groupId)} user {userId}";
        if (!await quotas.RemoveMemberAsync(groupId, userId, cancellationToken))
        {
            return await RefuseAsync(AuditActions.QuotaMemberRemoved, admin, target, "That user is not in the group.", [], cancellationToken);
        }

        return await DoneAsync(AuditActions.QuotaMemberRemoved, admin, target, await UserNameAsync(userId, cancellationToken),
            $"{await UserNameAsync(userId, cancellationToken)} is no longer in the group.", cancellationToken);
    }

    public async Task<QuotaChangeResult> SetOverrideAsync(AuditActor admin, Guid userId, QuotaForm form, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(form);
        var target = $"user {userId}";
        var (policy, errors) = form.ToPolicy(requireAll: false);
        if (policy is null)
        {
            return await RefuseAsync(AuditActions.QuotaOverrideSet, admin, target, "Fix the marked fields.", errors, cancellationToken);
        }

        if (await UserNameOrNullAsync(userId, cancellationToken) is null)
        {
            return await RefuseAsync(AuditActions.QuotaOverrideSet, admin, target, "There is no such user.", [], cancellationToken);
        }

        if (policy == new QuotaPolicy())
        {
            // Every field empty: the same as no override, and clearer stored as none.
            await quotas.SetUserOverrideAsync(userId, null, cancellationToken);
            return await DoneAsync(AuditActions.QuotaOverrideRemoved, admin, target, null,
                "Every field inherits, so the user has no override now.", cancellationToken);
        }

        await quotas.SetUserOverrideAsync(userId, policy, cancellationToken);
        return await DoneAsync(AuditActions.QuotaOverrideSet, admin, target, QuotaForm.Describe(policy),
            "The user's override is saved.", cancellationToken);
    }

    public async Task<QuotaChangeResult> RemoveOverrideAsync(AuditActor admin, Guid userId, CancellationToken cancellationToken)
    {
        var target = $"user {userId}";
        if (await quotas.GetUserOverrideAsync(userId, cancellationToken) is null)
        {
            return await RefuseAsync(AuditActions.QuotaOverrideRemoved, admin, target, "The user has no override.", [], cancellationToken);
        }

        await quotas.SetUserOverrideAsync(userId, null, cancellationToken);
        return await DoneAsync(AuditActions.QuotaOverrideRemoved, admin, target, null,
            "The override is removed; the user's groups and the default apply.", cancellationToken);
    }

    /// <summary>Why a group name is unusable, or null.</summary>
    public static string? GroupNameProblem(string? name) =>
        string.IsNullOrWhiteSpace(name) ? "Enter a group name."
        : !GroupName().IsMatch(name.Trim()) ? "Use 1 to 64 letters, digits, spaces, '.', '_' or '-'."
        : null;

    private static string GroupTarget(int groupId) => $"group {groupId.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    private async Task<string> UserNameAsync(Guid userId, CancellationToken cancellationToken) =>
        await UserNameOrNullAsync(userId, cancellationToken) ?? userId.ToString();

    private Task<string?> UserNameOrNullAsync(Guid userId, CancellationToken cancellationToken) =>
        users.NameAsync(userId, cancellationToken);

    private async Task<QuotaChangeResult> DoneAsync(
        string action, AuditActor admin, string target, string? detail, string message, CancellationToken cancellationToken)
    {
        await audit.WriteAsync(action, admin, true, target, detail, cancellationToken);
        runner.RequestPass(SchedulingCause.QuotaChanged);
        return QuotaChangeResult.Done(message);
    }

    private async Task<QuotaChangeResult> RefuseAsync(
        string action, AuditActor admin, string? target, string message, IReadOnlyList<FieldError> errors, CancellationToken cancellationToken)
    {
        var detail = errors.Count == 0 ? message : string.Join(" ", errors.Select(e => e.Message));
        await audit.WriteAsync(action, admin, false, target, detail, cancellationToken);
        return QuotaChangeResult.Fail(message, errors);
    }

    [GeneratedRegex("^[A-Za-z0-9 ._-]{1,64}$")]
    private static partial Regex GroupName();
}
