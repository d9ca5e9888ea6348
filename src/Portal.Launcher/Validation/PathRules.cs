namespace Portal.Launcher.Validation;

/// <summary>Syntax rules for paths a request may name. Symlinks are checked later, on the file system, as the user.</summary>
internal static class PathRules
{
    /// <summary>
    /// Absolute, no empty/"."/".." segments, no trailing slash, and only [A-Za-z0-9._@+-] in names:
    /// podman's --mount syntax gives ',' ':' and '=' meaning, and nothing legitimate needs them.
    /// </summary>
    public static bool IsCleanAbsolute(string? path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/' || path.Length > 4096)
        {
            return false;
        }

        if (path == "/")
        {
            return true;
        }

        foreach (string segment in path[1..].Split('/'))
        {
            if (segment.Length == 0 || segment == "." || segment == ".." || segment.Length > 255)
            {
                return false;
            }

            foreach (char c in segment)
            {
                if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@' or '+'))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or below it (both clean).</summary>
    public static bool IsUnder(string path, string root) =>
        root == "/" || path == root || path.StartsWith(root + "/", StringComparison.Ordinal);
}
