using System.Globalization;
using Portal.Core.Apps.Yaml;

namespace Portal.Core.Apps;

/// <summary>
/// Typed reads from a user's YAML tree that record a problem (line, key, reason) instead of throwing, so that one pass
/// reports every problem in the file. Shared by the compose and kube readers.
/// </summary>
internal sealed class AppFileReader(bool composeInterpolation)
{
    private readonly List<AppProblem> _problems = [];

    public IReadOnlyList<AppProblem> Problems => _problems;

    public void Refuse(YamlNode node, string key, string message) => _problems.Add(new AppProblem(node.Line, key, message));

    public void Refuse(int line, string key, string message) => _problems.Add(new AppProblem(line, key, message));

    /// <summary>
    /// Walks a mapping's keys against an allow-list. A key in <paramref name="refused"/> is refused with its reason, any
    /// other key not in <paramref name="allowed"/> as unknown: nothing is ever passed through unread.
    /// </summary>
    public void CheckKeys(YamlMapping mapping, string path, IReadOnlySet<string> allowed,
        IReadOnlyDictionary<string, string> refused, string allowedList, Func<string, bool>? alsoAllowed = null)
    {
        foreach (var (key, _) in mapping.Entries)
        {
            var keyPath = Join(path, key.Value);
            if (refused.TryGetValue(key.Value, out var reason))
            {
                Refuse(key, keyPath, reason);
            }
            else if (!allowed.Contains(key.Value) && alsoAllowed?.Invoke(key.Value) != true)
            {
                Refuse(key, keyPath, $"'{Printable(key.Value)}' is not a key apps accept here (accepted: {allowedList}).");
            }
        }
    }

    public static YamlNode? Get(YamlMapping mapping, string key) =>
        mapping.Entries.FirstOrDefault(e => e.Key.Value == key).Value;

    public static YamlScalar? KeyOf(YamlMapping mapping, string key) =>
        mapping.Entries.FirstOrDefault(e => e.Key.Value == key).Key;

    public YamlMapping? Mapping(YamlNode node, string key)
    {
        if (node is YamlMapping mapping)
        {
            return mapping;
        }

        Refuse(node, key, "Expected a mapping (key: value lines).");
        return null;
    }

    public YamlSequence? Sequence(YamlNode node, string key)
    {
        if (node is YamlSequence sequence)
        {
            return sequence;
        }

        Refuse(node, key, "Expected a list.");
        return null;
    }

    /// <summary>A scalar's text, with compose's <c>$$</c> escape applied and any interpolation refused.</summary>
    public string? Text(YamlNode node, string key)
    {
        if (node is not YamlScalar scalar)
        {
            Refuse(node, key, "Expected a single value, not a list or mapping.");
            return null;
        }

        if (scalar.IsNull)
        {
            Refuse(node, key, "A value is required here.");
            return null;
        }

        return Literal(scalar, key);
    }

    /// <summary>
    /// Compose interpolates <c>${VAR}</c> and <c>$VAR</c> from the environment of whoever runs it, and treats any
    /// other single <c>$</c> as an error; <c>$$</c> is a literal <c>$</c>. The portal's environment is never a source
    /// for a user's file, and reading the text literally would silently run something other than what compose would,
    /// so every interpolation is refused at its line and <c>$$</c> becomes <c>$</c>, exactly as compose does.
    /// </summary>
    public string? Literal(YamlScalar scalar, string key)
    {
        var value = scalar.Value;
        if (!composeInterpolation || !value.Contains('$', StringComparison.Ordinal))
        {
            return value;
        }

        var text = new System.Text.StringBuilder(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            if (value[i] != '$')
            {
                text.Append(value[i]);
            }
            else if (i + 1 < value.Length && value[i + 1] == '$')
            {
                text.Append('$');
                i++;
            }
            else
            {
                Refuse(scalar, key, "Variables ($VAR, ${VAR}) are not filled in from any environment; write the value itself, or $$ for a literal $.");
                return null;
            }
        }

        return text.ToString();
    }

    public int? Int(YamlNode node, string key, int min, int max)
    {
        var text = Text(node, key);
        if (text is null)
        {
            return null;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            Refuse(node, key, Format($"Expected a whole number from {min} to {max}."));
            return null;
        }

        return value;
    }

    public bool? Bool(YamlNode node, string key)
    {
        var text = Text(node, key);
        switch (text)
        {
            case null:
                return null;
            case "true" or "True" or "TRUE":
                return true;
            case "false" or "False" or "FALSE":
                return false;
            default:
                Refuse(node, key, "Expected true or false.");
                return null;
        }
    }

    /// <summary>A list of scalars (a single scalar is refused: where a list is wanted, ambiguity helps nobody).</summary>
    public List<string>? StringList(YamlNode node, string key)
    {
        if (Sequence(node, key) is not { } sequence)
        {
            return null;
        }

        var items = new List<string>();
        var ok = true;
        foreach (var item in sequence.Items)
        {
            if (Text(item, key) is { } text)
            {
                items.Add(text);
            }
            else
            {
                ok = false;
            }
        }

        return ok ? items : null;
    }

    public static string Join(string path, string key) => path.Length == 0 ? key : path + "." + key;

    public static string Printable(string s)
    {
        var text = new string([.. s.Take(60).Select(c => c is >= ' ' and <= '~' ? c : '?')]);
        return s.Length > 60 ? text + "..." : text;
    }

    public static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
