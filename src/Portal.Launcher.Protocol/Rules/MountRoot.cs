namespace Portal.Launcher.Protocol;

/// <summary>A host folder jobs may mount from, and everything under it, resolved for one user.</summary>
/// <param name="Path">The absolute folder.</param>
/// <param name="ReadOnly">True when mounts from here must be read-only (e.g. shared datasets).</param>
public sealed record MountRoot(string Path, bool ReadOnly)
{
    /// <summary>
    /// The most specific of <paramref name="roots"/> that holds <paramref name="source"/>, or null. The portal and
    /// the launcher both pick the most specific, so a read-only folder inside a writable one stays read-only.
    /// </summary>
    public static MountRoot? Holding(IEnumerable<MountRoot> roots, string source) =>
        roots.Where(r => PathRules.IsUnder(source, r.Path)).MaxBy(r => r.Path.Length);
}
