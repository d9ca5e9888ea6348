namespace Portal.Core.Apps.Yaml;

/// <summary>
/// Bounds on a user's YAML file, checked while it is read, before anything looks at its meaning. Anchors and aliases
/// are allowed (compose files share settings through them) but counted, and every alias counts as the whole subtree
/// it stands for: a "billion laughs" file is refused after a few thousand nodes, never expanded.
/// </summary>
public static class YamlLimits
{
    /// <summary>The largest file read; real compose files are a few KiB.</summary>
    public const int MaxChars = 256 * 1024;

    /// <summary>The deepest nesting of mappings and sequences.</summary>
    public const int MaxDepth = 32;

    /// <summary>The most aliases (<c>*name</c>) in one file.</summary>
    public const int MaxAliases = 100;

    /// <summary>The most nodes once every alias is counted as the subtree it stands for.</summary>
    public const int MaxExpandedNodes = 20_000;
}
