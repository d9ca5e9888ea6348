using Portal.Api.Contracts;

namespace Portal.Data.Presets;

/// <summary>
/// What a stored preset must be: a name people can type in a URL and on a command line, and values of a bounded size.
/// Only the shape is checked here. Whether the values make a job that may run is the submit's question, asked with
/// the same validation as typed values, because a preset is never trusted (a quota may have changed since it was saved,
/// or an administrator's box-wide preset may ask for more than one user may have).
/// </summary>
public static class PresetRules
{
    public const int MaxNameLength = 64;

    /// <summary>The most characters a preset's values may take as stored JSON: far more than any real form's values,
    /// small enough that presets cannot be used to fill the database.</summary>
    public const int MaxValuesChars = 16 * 1024;

    /// <summary>How many presets one user (or the box, for the box-wide ones) may keep.</summary>
    public const int MaxPerOwner = 100;

    /// <summary>The error with <paramref name="name"/>, or null when it is a valid preset name: 1 to 64 characters of
    /// ASCII letters, digits, spaces and <c>. _ - +</c>, starting with a letter or digit and not ending in a space.</summary>
    public static string? NameError(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "Give the preset a name.";
        }

        if (name.Length > MaxNameLength)
        {
            return $"Use a name of at most {MaxNameLength} characters.";
        }

        if (!char.IsAsciiLetterOrDigit(name[0]))
        {
            return "Start the name with a letter or digit.";
        }

        if (name[^1] == ' ')
        {
            return "End the name with something other than a space.";
        }

        return name.All(c => char.IsAsciiLetterOrDigit(c) || c is ' ' or '.' or '_' or '-' or '+')
            ? null
            : "Use only letters, digits, spaces and . _ - + in the name.";
    }

    /// <summary>The problems with <paramref name="values"/>' shape, keyed by the JSON property (no null inside a
    /// list or map, where the form and the command line could not show one).</summary>
    public static IReadOnlyList<(string Field, string Message)> ValuesErrors(PresetValues values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var errors = new List<(string, string)>();
        if (values.Command?.Any(a => a is null) == true)
        {
            errors.Add(("command", "A command argument cannot be null."));
        }

        if (values.Environment?.Any(e => e.Value is null) == true)
        {
            errors.Add(("environment", "An environment variable's value cannot be null."));
        }

        if (values.Mounts?.Any(m => m is null || m.Source is null || m.Target is null) == true)
        {
            errors.Add(("mounts", "Each mount needs a source and a target."));
        }

        return errors;
    }
}
