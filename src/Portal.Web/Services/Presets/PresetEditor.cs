using Portal.Api.Contracts;
using Portal.Data.Presets;
using Portal.Web.Services.Accounts;
using Portal.Web.Services.Audit;

namespace Portal.Web.Services.Presets;

/// <summary>
/// Saves, renames and deletes presets for the launch form and the API alike: a user's own, or (administrators only)
/// the box-wide ones, whose every change is audited because it changes what every user's form offers.
/// </summary>
public sealed class PresetEditor(JobPresetStore store, AuditLog audit)
{
    /// <summary>Creates or replaces <paramref name="name"/>: the actor's own, or box-wide when <paramref name="boxWide"/>.</summary>
    public async Task<PresetSaveResult> SaveAsync(
        CurrentUser actor, bool boxWide, string? name, PresetValues values, string via, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var result = await store.SaveAsync(Owner(actor, boxWide), name, values, cancellationToken);
        if (boxWide && result.Preset is { } saved)
        {
            await audit.WriteAsync(AuditActions.BoxPresetSaved, actor.Actor, succeeded: true, saved.Name,
                (result.Status == PresetSaveStatus.Created ? "published" : "changed") + " " + via, cancellationToken);
        }

        return result;
    }

    /// <summary>Renames one of the actor's own presets, or a box-wide one.</summary>
    public async Task<PresetRenameResult> RenameAsync(
        CurrentUser actor, bool boxWide, string name, string? newName, string via, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var result = await store.RenameAsync(Owner(actor, boxWide), name, newName, cancellationToken);
        if (boxWide && result.Status == PresetChangeStatus.Done && name != newName)
        {
            await audit.WriteAsync(AuditActions.BoxPresetRenamed, actor.Actor, succeeded: true, name, $"to {newName} {via}", cancellationToken);
        }

        return result;
    }

    /// <summary>Deletes one of the actor's own presets, or a box-wide one; false when there is no such preset.</summary>
    public async Task<bool> DeleteAsync(CurrentUser actor, bool boxWide, string name, string via, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(actor);
        bool deleted = await store.DeleteAsync(Owner(actor, boxWide), name, cancellationToken);
        if (boxWide && deleted)
        {
            await audit.WriteAsync(AuditActions.BoxPresetDeleted, actor.Actor, succeeded: true, name, via, cancellationToken);
        }

        return deleted;
    }

    // The one place that decides whose preset a write touches: a user's writes only ever reach their own.
    private static Guid? Owner(CurrentUser actor, bool boxWide) =>
        !boxWide ? actor.Id
        : actor.IsAdmin ? null
        : throw new UnauthorizedAccessException("Only administrators change box-wide presets.");
}
