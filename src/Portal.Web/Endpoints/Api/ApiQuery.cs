using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Portal.Web.Endpoints.Api;

/// <summary>Parses query parameters and collects a field error for each bad one, so a typo is a 400 that names
/// the parameter rather than a silent default.</summary>
internal sealed class ApiQuery(IQueryCollection query)
{
    private readonly List<(string Field, string Message)> _errors = [];

    public IReadOnlyList<(string Field, string Message)> Errors => _errors;

    public int Int(string name, int fallback, int min, int max)
    {
        if (!query.TryGetValue(name, out var values) || StringValues.IsNullOrEmpty(values))
        {
            return fallback;
        }

        if (values.Count == 1 && int.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        _errors.Add((name, $"Use a whole number from {min} to {max}."));
        return fallback;
    }

    public bool Bool(string name)
    {
        if (!query.TryGetValue(name, out var values) || StringValues.IsNullOrEmpty(values))
        {
            return false;
        }

        if (values.Count == 1 && bool.TryParse(values[0], out var value))
        {
            return value;
        }

        if (values.Count == 1 && values[0] is "1" or "0")
        {
            return values[0] == "1";
        }

        _errors.Add((name, "Use true or false."));
        return false;
    }

    /// <summary>One of <paramref name="allowed"/> (the first when absent).</summary>
    public string Choice(string name, params string[] allowed)
    {
        if (!query.TryGetValue(name, out var values) || StringValues.IsNullOrEmpty(values))
        {
            return allowed[0];
        }

        if (values.Count == 1 && allowed.Contains(values[0], StringComparer.Ordinal))
        {
            return values[0]!;
        }

        _errors.Add((name, $"Use one of: {string.Join(", ", allowed)}."));
        return allowed[0];
    }

    public Guid? Guid(string name)
    {
        if (!query.TryGetValue(name, out var values) || StringValues.IsNullOrEmpty(values))
        {
            return null;
        }

        if (values.Count == 1 && System.Guid.TryParse(values[0], CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        _errors.Add((name, "Not a user id."));
        return null;
    }

    /// <summary>Every value of a repeatable or comma-separated parameter parsed as <typeparamref name="TEnum"/>
    /// (names, any case).</summary>
    public IReadOnlyList<TEnum> Enums<TEnum>(string name)
        where TEnum : struct, Enum
    {
        var result = new List<TEnum>();
        if (!query.TryGetValue(name, out var values))
        {
            return result;
        }

        foreach (var item in values.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            if (!int.TryParse(item, CultureInfo.InvariantCulture, out _) && Enum.TryParse<TEnum>(item, ignoreCase: true, out var parsed))
            {
                result.Add(parsed);
            }
            else
            {
                _errors.Add((name, $"'{item}' is not one of {string.Join(", ", Enum.GetNames<TEnum>())}."));
            }
        }

        return result;
    }
}
