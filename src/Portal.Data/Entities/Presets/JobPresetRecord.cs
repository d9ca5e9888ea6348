using Portal.Data.Presets;

namespace Portal.Data.Entities.Presets;

/// <summary>
/// A saved set of launch-form values under a name: a user's own (<see cref="OwnerId"/> set, seen only by them) or a
/// box-wide one an administrator published (<see cref="OwnerId"/> null, seen by everyone). The values are kept as the
/// JSON of <see cref="Portal.Api.Contracts.PresetValues"/>, the same shape the API and the command line use.
/// </summary>
public sealed class JobPresetRecord
{
    public JobPresetRecord(Guid? ownerId, string name, string valuesJson, DateTimeOffset at)
    {
        OwnerId = ownerId;
        Name = CheckedName(name);
        ValuesJson = CheckedValues(valuesJson);
        CreatedAt = at;
        UpdatedAt = at;
    }

    // For EF Core.
    private JobPresetRecord()
    {
        Name = "";
        ValuesJson = "{}";
    }

    public long Id { get; private set; }

    /// <summary>The user whose preset it is; null for a box-wide preset.</summary>
    public Guid? OwnerId { get; private set; }

    public string Name { get; private set; }

    /// <summary>The values as JSON (jsonb), at most <see cref="PresetRules.MaxValuesChars"/> characters.</summary>
    public string ValuesJson { get; private set; }

    public DateTimeOffset CreatedAt { get; private set; }

    public DateTimeOffset UpdatedAt { get; private set; }

    public bool IsBoxWide => OwnerId is null;

    public void ReplaceValues(string valuesJson, DateTimeOffset at)
    {
        ValuesJson = CheckedValues(valuesJson);
        Touch(at);
    }

    public void Rename(string name, DateTimeOffset at)
    {
        Name = CheckedName(name);
        Touch(at);
    }

    private void Touch(DateTimeOffset at) => UpdatedAt = at < CreatedAt ? CreatedAt : at;

    private static string CheckedName(string name) =>
        PresetRules.NameError(name) is { } error ? throw new ArgumentException(error, nameof(name)) : name;

    private static string CheckedValues(string valuesJson)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(valuesJson);
        return valuesJson.Length > PresetRules.MaxValuesChars
            ? throw new ArgumentException($"A preset's values take at most {PresetRules.MaxValuesChars} characters.", nameof(valuesJson))
            : valuesJson;
    }
}
