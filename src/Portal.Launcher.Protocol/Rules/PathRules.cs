using System.Diagnostics.CodeAnalysis;

namespace Portal.Launcher.Protocol;

/// <summary>
/// The shapes of the paths a run request names. Symlinks and existence are the launcher's to check later, on the
/// file system and as the job's owner; these rules need nothing but the text.
/// </summary>
public static class PathRules
{
    /// <summary>Linux's PATH_MAX.</summary>
    public const int MaxLength = 4096;

    /// <summary>Linux's NAME_MAX.</summary>
    public const int MaxSegmentLength = 255;

    /// <summary>
    /// A path in the container's file system (the working directory): absolute, no empty, "." or ".." parts, no
    /// trailing '/', no control characters. It reaches podman as one argv item of its own, so any other character
    /// is safe.
    /// </summary>
    public static bool IsContainerPath([NotNullWhen(true)] string? path) => IsClean(path, static c => !char.IsControl(c));

    /// <summary>
    /// A bind mount's source or target: a <see cref="IsContainerPath">clean path</see> of [A-Za-z0-9._@+-] only.
    /// Podman reads <c>--mount type=bind,source=...,target=...</c> as comma-separated key=value pairs, so ',' '='
    /// and quotes would change what is mounted, and ':' is the volume syntax's separator; nothing legitimate needs
    /// those, nor spaces.
    /// </summary>
    public static bool IsMountPath([NotNullWhen(true)] string? path) =>
        IsClean(path, static c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@' or '+');

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or below it (both clean).</summary>
    public static bool IsUnder(string path, string root) =>
        root == "/" || path == root || path.StartsWith(root + "/", StringComparison.Ordinal);

    private static bool IsClean(string? path, Func<char, bool> allowed)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '/' || path.Length > MaxLength)
        {
            return false;
        }

        if (path == "/")
        {
            return true;
        }

        foreach (string segment in path[1..].Split('/'))
        {
            if (segment.Length is 0 or > MaxSegmentLength || segment is "." or ".." || !segment.All(allowed))
            {
                return false;
            }
        }

        return true;
    }
}
