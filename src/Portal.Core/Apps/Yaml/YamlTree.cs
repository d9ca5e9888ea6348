namespace Portal.Core.Apps.Yaml;

/// <summary>
/// A node of a user's YAML file with the line it starts on. Aliases are resolved to the anchored node (shared, not
/// copied); merge keys (<c>&lt;&lt;</c>) are already applied to mappings.
/// </summary>
public abstract record YamlNode(int Line, int Column);

/// <summary>A scalar. <see cref="IsPlain"/> is false for quoted and block scalars, whose text is never a null or a
/// number to YAML.</summary>
public sealed record YamlScalar(int Line, int Column, string Value, bool IsPlain) : YamlNode(Line, Column)
{
    /// <summary>A plain <c>~</c>, <c>null</c> or empty scalar: YAML's null.</summary>
    public bool IsNull => IsPlain && Value is "" or "~" or "null" or "Null" or "NULL";
}

/// <summary>A sequence.</summary>
public sealed record YamlSequence(int Line, int Column, IReadOnlyList<YamlNode> Items) : YamlNode(Line, Column);

/// <summary>A mapping whose keys are scalars, unique, in file order.</summary>
public sealed record YamlMapping(int Line, int Column, IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> Entries) : YamlNode(Line, Column);
