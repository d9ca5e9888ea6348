using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using Portal.Api.Contracts;
using Portal.Data.Entities.Presets;

namespace Portal.Data.Presets;

/// <summary>
/// Launch-form presets: each user's own and the box-wide ones. A user sees their own and the box-wide presets, never
/// another user's; by a name they get their own preset first, so their own one hides a box-wide one of the same name
/// for them alone. Writes name their owner explicitly (<c>null</c> for box-wide); who may write box-wide is the caller's
/// question. Every call is one short-lived context.
/// </summary>
public sealed class JobPresetStore(IDbContextFactory<PortalDbContext> contextFactory, TimeProvider timeProvider)
{
    /// <summary>The user's own presets by name, then the box-wide ones by name (those the user's own hide marked).</summary>
    public async Task<IReadOnlyList<JobPreset>> ListAsync(Guid userId, CancellationToken cancellationToken = default)
    {
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.JobPresets.AsNoTracking()
            .Where(p => p.OwnerId == userId || p.OwnerId == null)
            .ToListAsync(cancellationToken);
        var own = rows.Where(r => r.OwnerId is not null).Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        return
        [
            .. rows.Where(r => r.OwnerId is not null).OrderBy(r => r.Name, StringComparer.Ordinal).Select(r => ToPreset(r, shadowed: false)),
            .. rows.Where(r => r.OwnerId is null).OrderBy(r => r.Name, StringComparer.Ordinal).Select(r => ToPreset(r, own.Contains(r.Name))),
        ];
    }

    /// <summary>The preset <paramref name="name"/> as the user gets it: their own, else the box-wide one; null when
    /// neither exists (also when another user has one of that name).</summary>
    public async Task<JobPreset?> FindAsync(Guid userId, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.JobPresets.AsNoTracking()
            .Where(p => p.Name == name && (p.OwnerId == userId || p.OwnerId == null))
            .ToListAsync(cancellationToken);
        var row = rows.FirstOrDefault(r => r.OwnerId is not null) ?? rows.FirstOrDefault();
        return row is null ? null : ToPreset(row, shadowed: false);
    }

    /// <summary>Creates or replaces the preset <paramref name="name"/> of <paramref name="ownerId"/> (null: box-wide).</summary>
    public async Task<PresetSaveResult> SaveAsync(Guid? ownerId, string? name, PresetValues values, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var errors = new List<(string Field, string Message)>();
        if (PresetRules.NameError(name) is { } nameError)
        {
            errors.Add(("name", nameError));
        }

        errors.AddRange(PresetRules.ValuesErrors(values));
        string json = JsonSerializer.Serialize(values, ApiJsonContext.Default.PresetValues);
        if (json.Length > PresetRules.MaxValuesChars)
        {
            errors.Add(("", $"The preset's values take {json.Length} characters; at most {PresetRules.MaxValuesChars} are kept."));
        }

        if (errors.Count > 0)
        {
            return new(PresetSaveStatus.Invalid, errors, null);
        }

        // Two saves of one new name at once: the unique index refuses the second insert, which then finds the first's
        // row and replaces its values, as if it had come second.
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await SaveOnceAsync(ownerId, name!, json, cancellationToken);
            }
            catch (DbUpdateException e) when (attempt == 0 && e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
            {
            }
        }
    }

    /// <summary>Renames a preset of <paramref name="ownerId"/> (null: box-wide).</summary>
    public async Task<PresetRenameResult> RenameAsync(Guid? ownerId, string name, string? newName, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (PresetRules.NameError(newName) is { } error)
        {
            return new(PresetChangeStatus.Invalid, error, null);
        }

        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.JobPresets.SingleOrDefaultAsync(p => p.OwnerId == ownerId && p.Name == name, cancellationToken);
        if (row is null)
        {
            return new(PresetChangeStatus.NotFound, null, null);
        }

        if (name == newName)
        {
            return new(PresetChangeStatus.Done, null, ToPreset(row, shadowed: false));
        }

        if (await db.JobPresets.AnyAsync(p => p.OwnerId == ownerId && p.Name == newName, cancellationToken))
        {
            return new(PresetChangeStatus.NameTaken, $"There is already a preset named {newName}.", null);
        }

        row.Rename(newName!, timeProvider.GetUtcNow());
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException e) when (e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            return new(PresetChangeStatus.NameTaken, $"There is already a preset named {newName}.", null);
        }

        return new(PresetChangeStatus.Done, null, ToPreset(row, shadowed: false));
    }

    /// <summary>Deletes a preset of <paramref name="ownerId"/> (null: box-wide); false when there is none.</summary>
    public async Task<bool> DeleteAsync(Guid? ownerId, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        return await db.JobPresets.Where(p => p.OwnerId == ownerId && p.Name == name).ExecuteDeleteAsync(cancellationToken) > 0;
    }

    private async Task<PresetSaveResult> SaveOnceAsync(Guid? ownerId, string name, string json, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        await using var db = await contextFactory.CreateDbContextAsync(cancellationToken);
        var row = await db.JobPresets.SingleOrDefaultAsync(p => p.OwnerId == ownerId && p.Name == name, cancellationToken);
        var status = PresetSaveStatus.Updated;
        if (row is null)
        {
            if (await db.JobPresets.CountAsync(p => p.OwnerId == ownerId, cancellationToken) >= PresetRules.MaxPerOwner)
            {
                return new(PresetSaveStatus.Invalid,
                    [("name", $"There are {PresetRules.MaxPerOwner} presets already, the most kept; delete one first.")], null);
            }

            row = new JobPresetRecord(ownerId, name, json, now);
            db.JobPresets.Add(row);
            status = PresetSaveStatus.Created;
        }
        else
        {
            row.ReplaceValues(json, now);
        }

        await db.SaveChangesAsync(cancellationToken);
        return new(status, [], ToPreset(row, shadowed: false));
    }

    private static JobPreset ToPreset(JobPresetRecord row, bool shadowed) => new(
        row.Name,
        row.IsBoxWide,
        shadowed,
        JsonSerializer.Deserialize(row.ValuesJson, ApiJsonContext.Default.PresetValues) ?? new PresetValues(),
        row.UpdatedAt);
}

/// <summary>A preset as one user sees it.</summary>
/// <param name="Name">Its name.</param>
/// <param name="BoxWide">Published by an administrator for everyone.</param>
/// <param name="Shadowed">A box-wide preset the user's own one of the same name hides from them.</param>
/// <param name="Values">What it fills in.</param>
/// <param name="UpdatedAt">When it was last saved.</param>
public sealed record JobPreset(string Name, bool BoxWide, bool Shadowed, PresetValues Values, DateTimeOffset UpdatedAt);

public enum PresetSaveStatus
{
    Created,
    Updated,
    Invalid,
}

/// <summary>What a save did; <see cref="Errors"/> are keyed by the JSON property ("" for the values as a whole).</summary>
public sealed record PresetSaveResult(PresetSaveStatus Status, IReadOnlyList<(string Field, string Message)> Errors, JobPreset? Preset);

public enum PresetChangeStatus
{
    Done,
    NotFound,
    Invalid,
    NameTaken,
}

/// <summary>What a rename did: the renamed preset when <see cref="Status"/> is <see cref="PresetChangeStatus.Done"/>.</summary>
public sealed record PresetRenameResult(PresetChangeStatus Status, string? Error, JobPreset? Preset);
